"""s3_event_log: the day's tracking log as it sits in edX's bucket: delivered or not."""

import dagster as dg

from edx_assets.defs.common import OWNERS, Build


def build(ctx: Build) -> dg.Definitions:
    return dg.Definitions(assets=[dg.AssetSpec(
        "s3_event_log", partitions_def=ctx.daily, group_name="delivery", kinds={"s3"}, owners=OWNERS,
        description=(
            "The day's tracking log in edX's bucket (EDX_EVENTS_BUCKET): edX produces it, this platform only "
            "observes it. A partition is reported when the object is seen (by the `event_log_arrivals` "
            "sensor or when `raw_event_log` lands it), with its ETag, size and last-modified time. A day "
            "missing here is a day edX has not delivered; a day present here but failed downstream is ours."
        ),
    )])
