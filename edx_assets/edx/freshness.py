"""Data-time freshness: how old the newest loaded data is, whatever was re-run since.

A time-since-last-materialization policy says "fresh" right after someone re-runs a month-old day. What
an analyst needs is the age of the newest data: the end of the newest loaded day (or the date of the
newest loaded weekly package) against the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


@dataclass(frozen=True)
class Freshness:
    newest: date | None  # newest loaded partition
    lag: timedelta | None  # now - the moment the data reaches (end of that day, or the package's date)
    limit: timedelta

    @property
    def fresh(self) -> bool:
        return self.lag is not None and self.lag <= self.limit

    def describe(self, what: str) -> str:
        if self.newest is None:
            return f"no {what} loaded yet"
        hours = self.lag.total_seconds() / 3600 if self.lag is not None else 0
        verdict = "fresh" if self.fresh else "STALE"
        return (f"{verdict}: newest {what} {self.newest.isoformat()}, data {hours:.0f} h old "
                f"(limit {self.limit.total_seconds() / 3600:.0f} h)")


def assess(partition_keys: Iterable[str], now: datetime, limit: timedelta, *, whole_day: bool) -> Freshness:
    """`whole_day`: a daily partition's data reaches the end of its day; a weekly package's, its date."""
    keys = [date.fromisoformat(k) for k in partition_keys]
    if not keys:
        return Freshness(None, None, limit)
    newest = max(keys)
    start = datetime(newest.year, newest.month, newest.day, tzinfo=UTC)
    data_time = start + timedelta(days=1) if whole_day else start
    return Freshness(newest, now - data_time, limit)
