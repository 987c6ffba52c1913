"""Schedules: the daily events load (default 20:00 UTC) for the day that has just ended."""


from datetime import timedelta

import dagster as dg

from edx_assets.automation.jobs import daily_events_job, weekly_courses_job
from edx_assets.partitions import TIMEZONE, first_sunday_on_or_after
from edx_assets.settings import load_settings

settings = load_settings()


@dg.schedule(
    job=daily_events_job,
    cron_schedule=settings.daily_schedule_cron,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Loads yesterday's tracking log (the day before the tick, in UTC).",
)
def daily_events_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    day = (context.scheduled_execution_time.date() - timedelta(days=1)).isoformat()
    if day < settings.partitions_start:
        return dg.SkipReason(f"{day} is before EDX_PARTITIONS_START ({settings.partitions_start})")
    return dg.RunRequest(run_key=f"daily-{day}", partition_key=day)


@dg.schedule(
    job=weekly_courses_job,
    cron_schedule=settings.weekly_schedule_cron,
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Loads the package edX dated that Sunday (the week partition keyed by that Sunday).",
)
def weekly_courses_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    tick = context.scheduled_execution_time.date()
    # The package is dated on a Sunday: a tick on Sunday night loads that day's package; a tick on
    # another weekday (a custom cron) loads the latest Sunday's.
    sunday = tick - timedelta(days=(tick.weekday() + 1) % 7)
    if sunday.isoformat() < weekly_start():
        return dg.SkipReason(f"{sunday} is before the first weekly partition ({weekly_start()})")
    return dg.RunRequest(run_key=f"weekly-{sunday}", partition_key=sunday.isoformat())


def weekly_start() -> str:
    return first_sunday_on_or_after(settings.partitions_start_date).isoformat()
