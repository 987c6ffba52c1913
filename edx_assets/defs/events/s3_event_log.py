"""s3_event_log: the day's tracking log as it sits in edX's bucket: delivered or not."""

import dagster as dg

from edx_assets.defs.common import Build
from edx_assets.defs.events.paths import event_log_delivery


def build(ctx: Build) -> dg.Definitions:
    return dg.Definitions(assets=[event_log_delivery(ctx.config, ctx.daily).spec(sensor="event_log_arrivals")])
