"""The daily job (every daily-partitioned asset), its schedule and the tracking-log arrival sensor."""

from datetime import timedelta

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, cadence_job
from edx_assets.defs.events.paths import event_log_delivery
from edx_assets.defs.partitions import TIMEZONE


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config
    daily_events_job = cadence_job("daily", "S3 tracking log -> decrypted file -> Eventos -> daily tables, for one day.")

    delivery = event_log_delivery(config, ctx.daily)

    @dg.schedule(job=daily_events_job, cron_schedule=config.daily_schedule_cron, execution_timezone=TIMEZONE,
                 default_status=dg.DefaultScheduleStatus.RUNNING,
                 description="Loads yesterday's tracking log (the day before the tick, in UTC) once edX has "
                             "delivered it; a day not delivered is skipped (not failed).")
    def daily_events_schedule(context: dg.ScheduleEvaluationContext, s3: S3Resource) -> dg.RunRequest | dg.SkipReason:
        day = context.scheduled_execution_time.date() - timedelta(days=1)
        if day < config.partitions_start:
            return dg.SkipReason(f"{day} is before EDX_PARTITIONS_START ({config.partitions_start})")
        return delivery.not_delivered(s3.get_client(), day) or dg.RunRequest(run_key=f"daily-{day}",
                                                                             partition_key=day.isoformat())

    arrivals = delivery.arrival_sensor("event_log_arrivals", daily_events_job, config.sensor_interval_seconds)
    return dg.Definitions(jobs=[daily_events_job], schedules=[daily_events_schedule], sensors=[arrivals])
