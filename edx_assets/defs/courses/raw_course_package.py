"""raw_course_package: the week's course-data package copied from S3 to the landing area."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import OWNERS, TRANSIENT_RETRY, Build
from edx_assets.defs.courses.paths import course_package_delivery
from edx_assets.defs.resources import WorkspaceResource
from edx_assets.defs.versions import VERSIONED


def build(ctx: Build) -> dg.Definitions:
    delivery = course_package_delivery(ctx.config, ctx.weekly)

    @dg.asset(partitions_def=ctx.weekly, deps=[delivery.asset], group_name="raw", kinds={"s3"}, owners=OWNERS,
              retry_policy=TRANSIENT_RETRY, code_version=VERSIONED)
    def raw_course_package(context: dg.AssetExecutionContext, s3: S3Resource,
                           workspace: WorkspaceResource) -> dg.MaterializeResult:
        """The week's course-data package as edX delivered it: `s3://{EDX_COURSES_BUCKET}/{org}-{date}.zip`.

        The package dated Sunday D is partition D. Copied to the landing area; the download is skipped
        when the object's ETag has not changed. A missing package fails at once, naming bucket and key.
        """
        return delivery.land(context, s3.get_client(), workspace)

    return dg.Definitions(assets=[raw_course_package])
