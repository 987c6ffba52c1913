"""s3_course_package: the week's course-data package as it sits in edX's bucket: delivered or not."""

import dagster as dg

from edx_assets.defs.common import Build
from edx_assets.defs.courses.paths import course_package_delivery


def build(ctx: Build) -> dg.Definitions:
    return dg.Definitions(assets=[course_package_delivery(ctx.config, ctx.weekly).spec(sensor="course_package_arrivals")])
