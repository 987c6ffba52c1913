"""The one ISO 8601 parser of the platform: tracking-log times, dump dates and structure dates alike.

Any ISO 8601 text Python reads (with or without microseconds, `Z` or an offset, or a space between date
and time) becomes an aware UTC datetime; text without an offset is taken as UTC, as edX writes it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_utc(value: Any) -> datetime | None:
    """Aware UTC datetime of an ISO 8601 string, or None when `value` is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
