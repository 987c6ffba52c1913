"""raw_event_log: the day's tracking log copied from S3 to the landing area."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import OWNERS, TRANSIENT_RETRY, Build, landed_result, permanent_failures
from edx_assets.defs.partitions import partition_day
from edx_assets.defs.resources import WorkspaceResource
from edx_assets.edx import landing, layout


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @dg.asset(partitions_def=ctx.daily, deps=["s3_event_log"], group_name="raw", kinds={"s3"}, owners=OWNERS,
              retry_policy=TRANSIENT_RETRY, code_version="1")
    def raw_event_log(context: dg.AssetExecutionContext, s3: S3Resource,
                      workspace: WorkspaceResource) -> dg.MaterializeResult:
        """The day's tracking log as edX delivered it (gzip, then GPG), copied from S3 to the landing area.

        Key: `{org}/{site}/events/{YYYY}/{org}-{site}-events-{YYYY-MM-DD}.log.gz.gpg` in EDX_EVENTS_BUCKET,
        the year folder being the year of the partition's day. A re-run skips the download when the
        object's ETag has not changed.
        """
        key = layout.event_log_key(config.org, config.site, partition_day(context.partition_key))
        with permanent_failures():
            landed = landing.land(s3.get_client(), config.events_bucket, key, workspace.landing_dir("events"))
        context.log.info(f"{'downloaded' if landed.downloaded else 'unchanged, kept'} s3://{landed.bucket}/{landed.key}")
        return landed_result(context, landed, "s3_event_log")

    return dg.Definitions(assets=[raw_event_log])
