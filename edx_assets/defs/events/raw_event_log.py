"""raw_event_log: the day's tracking log copied from S3 to the landing area."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import OWNERS, TRANSIENT_RETRY, Build
from edx_assets.defs.events.paths import event_log_delivery
from edx_assets.defs.resources import WorkspaceResource
from edx_assets.defs.versions import VERSIONED


def build(ctx: Build) -> dg.Definitions:
    delivery = event_log_delivery(ctx.config, ctx.daily)

    @dg.asset(partitions_def=ctx.daily, deps=[delivery.asset], group_name="raw", kinds={"s3"}, owners=OWNERS,
              retry_policy=TRANSIENT_RETRY, code_version=VERSIONED)
    def raw_event_log(context: dg.AssetExecutionContext, s3: S3Resource,
                      workspace: WorkspaceResource) -> dg.MaterializeResult:
        """The day's tracking log as edX delivered it (gzip, then GPG), copied from S3 to the landing area.

        Key: `{org}/{site}/events/{YYYY}/{org}-{site}-events-{YYYY-MM-DD}.log.gz.gpg` in EDX_EVENTS_BUCKET,
        the year folder being the year of the partition's day. A re-run skips the download when the
        object's ETag has not changed.
        """
        return delivery.land(context, s3.get_client(), workspace)

    return dg.Definitions(assets=[raw_event_log])
