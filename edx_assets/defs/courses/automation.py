"""The weekly job (every weekly-partitioned asset: course data and reports), its schedule and the
course-package arrival sensor."""

from datetime import timedelta

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import CADENCE_TAG, Build, arrival_requests
from edx_assets.defs.partitions import TIMEZONE, first_sunday_on_or_after
from edx_assets.edx import landing, layout


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config
    first_week = first_sunday_on_or_after(config.partitions_start)
    weekly_courses_job = dg.define_asset_job(
        "weekly_courses_job",
        selection=dg.AssetSelection.tag(CADENCE_TAG, "weekly"),
        description="S3 course package -> decrypted files -> per-course collections -> reports, for one week.",
    )

    @dg.schedule(job=weekly_courses_job, cron_schedule=config.weekly_schedule_cron, execution_timezone=TIMEZONE,
                 default_status=dg.DefaultScheduleStatus.RUNNING,
                 description="Loads the package edX dated that Sunday (the week partition keyed by that Sunday) "
                             "once delivered; a week not delivered is skipped (not failed).")
    def weekly_courses_schedule(context: dg.ScheduleEvaluationContext, s3: S3Resource) -> dg.RunRequest | dg.SkipReason:
        tick = context.scheduled_execution_time.date()
        # The package is dated on a Sunday: a tick on Sunday night loads that day's package; a tick on
        # another weekday (a custom cron) loads the latest Sunday's.
        sunday = tick - timedelta(days=(tick.weekday() + 1) % 7)
        if sunday < first_week:
            return dg.SkipReason(f"{sunday} is before the first weekly partition ({first_week})")
        key = layout.course_package_key(config.org, sunday)
        if not landing.object_exists(s3.get_client(), config.courses_bucket, key):
            return dg.SkipReason(f"{sunday}: not delivered by edX yet (s3://{config.courses_bucket}/{key}); "
                                 "the arrival sensor loads it when it appears")
        return dg.RunRequest(run_key=f"weekly-{sunday}", partition_key=sunday.isoformat())

    @dg.sensor(job=weekly_courses_job, minimum_interval_seconds=config.sensor_interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Requests the week's course load when its package appears or changes in S3.")
    def course_package_arrivals(context: dg.SensorEvaluationContext, s3: S3Resource) -> dg.SensorResult:
        objects = landing.list_objects(s3.get_client(), config.courses_bucket, f"{config.org}-")

        def to_partition(key: str) -> str | None:
            parsed = layout.parse_course_package_key(key)
            return parsed[1].isoformat() if parsed and parsed[0] == config.org else None

        return arrival_requests(context, objects, to_partition, ctx.weekly, bucket=config.courses_bucket,
                                raw_asset="raw_course_package", delivery_asset="s3_course_package")

    return dg.Definitions(jobs=[weekly_courses_job], schedules=[weekly_courses_schedule],
                          sensors=[course_package_arrivals])
