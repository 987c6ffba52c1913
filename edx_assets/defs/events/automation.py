"""The daily job (every daily-partitioned asset), its schedule and the tracking-log arrival sensor."""

from datetime import timedelta

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import CADENCE_TAG, Build, arrival_requests
from edx_assets.defs.partitions import TIMEZONE
from edx_assets.edx import landing, layout


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config
    daily_events_job = dg.define_asset_job(
        "daily_events_job",
        selection=dg.AssetSelection.tag(CADENCE_TAG, "daily"),
        description="S3 tracking log -> decrypted file -> Eventos -> daily tables, for one day.",
    )

    @dg.schedule(job=daily_events_job, cron_schedule=config.daily_schedule_cron, execution_timezone=TIMEZONE,
                 default_status=dg.DefaultScheduleStatus.RUNNING,
                 description="Loads yesterday's tracking log (the day before the tick, in UTC) once edX has "
                             "delivered it; a day not delivered is skipped (not failed).")
    def daily_events_schedule(context: dg.ScheduleEvaluationContext, s3: S3Resource) -> dg.RunRequest | dg.SkipReason:
        day = context.scheduled_execution_time.date() - timedelta(days=1)
        if day < config.partitions_start:
            return dg.SkipReason(f"{day} is before EDX_PARTITIONS_START ({config.partitions_start})")
        key = layout.event_log_key(config.org, config.site, day)
        if not landing.object_exists(s3.get_client(), config.events_bucket, key):
            return dg.SkipReason(f"{day}: not delivered by edX yet (s3://{config.events_bucket}/{key}); "
                                 "the arrival sensor loads it when it appears")
        return dg.RunRequest(run_key=f"daily-{day}", partition_key=day.isoformat())

    @dg.sensor(job=daily_events_job, minimum_interval_seconds=config.sensor_interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Requests the day's events load when its tracking log appears or changes in S3.")
    def event_log_arrivals(context: dg.SensorEvaluationContext, s3: S3Resource) -> dg.SensorResult:
        objects = landing.list_objects(s3.get_client(), config.events_bucket, f"{config.org}/{config.site}/events/")

        def to_partition(key: str) -> str | None:
            parsed = layout.parse_event_log_key(key)
            return parsed[2].isoformat() if parsed and parsed[:2] == (config.org, config.site) else None

        return arrival_requests(context, objects, to_partition, ctx.daily, bucket=config.events_bucket,
                                raw_asset="raw_event_log", delivery_asset="s3_event_log")

    return dg.Definitions(jobs=[daily_events_job], schedules=[daily_events_schedule], sensors=[event_log_arrivals])
