"""raw_course_package: the week's course-data package copied from S3 to the landing area."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import OWNERS, TRANSIENT_RETRY, Build, landed_result, permanent_failures
from edx_assets.defs.courses.paths import package_name
from edx_assets.defs.resources import WorkspaceResource
from edx_assets.edx import landing


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @dg.asset(partitions_def=ctx.weekly, deps=["s3_course_package"], group_name="raw", kinds={"s3"}, owners=OWNERS,
              retry_policy=TRANSIENT_RETRY, code_version="1")
    def raw_course_package(context: dg.AssetExecutionContext, s3: S3Resource,
                           workspace: WorkspaceResource) -> dg.MaterializeResult:
        """The week's course-data package as edX delivered it: `s3://{EDX_COURSES_BUCKET}/{org}-{date}.zip`.

        The package dated Sunday D is partition D. Copied to the landing area; the download is skipped
        when the object's ETag has not changed. A missing package fails at once, naming bucket and key.
        """
        key = package_name(config, context.partition_key)
        with permanent_failures():
            landed = landing.land(s3.get_client(), config.courses_bucket, key, workspace.landing_dir("courses"))
        return landed_result(context, landed, "s3_course_package")

    return dg.Definitions(assets=[raw_course_package])
