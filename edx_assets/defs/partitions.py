"""The daily (events) and weekly (course packages, reports) partitions, made from the config.

Both are UTC. Weekly partitions start on Sundays: the package dated Sunday D is partition D.
"""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from edx_assets.config import EdxConfig

TIMEZONE = "UTC"


def first_sunday_on_or_after(day: date) -> date:
    return day + timedelta(days=(6 - day.weekday()) % 7)


def daily_partitions(config: EdxConfig) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=config.partitions_start.isoformat(), timezone=TIMEZONE)


def weekly_partitions(config: EdxConfig) -> dg.WeeklyPartitionsDefinition:
    # A weekly partition's key is its Sunday: the first Sunday on or after the configured start.
    # edX dates the package on the Sunday that opens the week, and it is loaded that same night, so the
    # week in progress must already be a partition (end_offset=1).
    return dg.WeeklyPartitionsDefinition(
        start_date=first_sunday_on_or_after(config.partitions_start).isoformat(),
        timezone=TIMEZONE, day_offset=0, end_offset=1,
    )


def partition_day(key: str) -> date:
    return date.fromisoformat(key)
