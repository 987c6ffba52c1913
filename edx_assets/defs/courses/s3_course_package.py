"""s3_course_package: the week's course-data package as it sits in edX's bucket: delivered or not."""

import dagster as dg

from edx_assets.defs.common import OWNERS, Build


def build(ctx: Build) -> dg.Definitions:
    return dg.Definitions(assets=[dg.AssetSpec(
        "s3_course_package", partitions_def=ctx.weekly, group_name="delivery", kinds={"s3"}, owners=OWNERS,
        description=(
            "The week's package in edX's bucket (EDX_COURSES_BUCKET): edX produces it, this platform only "
            "observes it. A partition is reported when the object is seen (by the `course_package_arrivals` "
            "sensor or when `raw_course_package` lands it), with its ETag, size and last-modified time. A "
            "week missing here is a week edX has not delivered; present here but failed downstream is ours."
        ),
    )])
