"""Schedules: the daily events load (default 20:00 UTC) for the day that has just ended."""


from datetime import timedelta

import dagster as dg

from edx_assets.automation.jobs import daily_events_job
from edx_assets.partitions import TIMEZONE
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
