"""The weekly job (every weekly-partitioned asset: course data and reports), its schedule and the
course-package arrival sensor."""

from datetime import timedelta

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, cadence_job
from edx_assets.defs.courses.paths import course_package_delivery
from edx_assets.defs.partitions import TIMEZONE, first_sunday_on_or_after


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config
    first_week = first_sunday_on_or_after(config.partitions_start)
    weekly_courses_job = cadence_job(
        "weekly", "S3 course package -> decrypted files -> per-course collections -> reports, for one week.")

    delivery = course_package_delivery(config, ctx.weekly)

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
        return delivery.not_delivered(s3.get_client(), sunday) or dg.RunRequest(
            run_key=f"weekly-{sunday}", partition_key=sunday.isoformat())

    arrivals = delivery.arrival_sensor("course_package_arrivals", weekly_courses_job, config.sensor_interval_seconds)
    return dg.Definitions(jobs=[weekly_courses_job], schedules=[weekly_courses_schedule], sensors=[arrivals])
