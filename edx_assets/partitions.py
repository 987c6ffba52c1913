"""The daily (events) and weekly (course packages, reports) partitions, defined once.

Both are UTC. Weekly partitions start on Sundays: the package dated Sunday D is partition D.
"""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from edx_assets.settings import load_settings

TIMEZONE = "UTC"


def first_sunday_on_or_after(day: date) -> date:
    return day + timedelta(days=(6 - day.weekday()) % 7)


_settings = load_settings()

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=_settings.partitions_start, timezone=TIMEZONE
)
# A weekly partition's key is its Sunday: the first Sunday on or after the configured start.
# edX dates the package on the Sunday that opens the week, and it is loaded that same night, so the
# week in progress must already be a partition (end_offset=1).
weekly_partitions = dg.WeeklyPartitionsDefinition(
    start_date=first_sunday_on_or_after(_settings.partitions_start_date).isoformat(),
    timezone=TIMEZONE,
    day_offset=0,
    end_offset=1,
)


def partition_day(key: str) -> date:
    return date.fromisoformat(key)
