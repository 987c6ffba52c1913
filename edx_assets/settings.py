"""The EDX_* configuration, read once from the environment.

Only non-secret settings live here. Secrets (AWS keys, the GPG passphrase, the MongoDB URI) are read
by the resources through ``dg.EnvVar`` so that they never appear in the UI or in logs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

# The demo's delivery: three weeks and a day of 2026 autumn, Sunday to Sunday (4 weekly packages).
DEFAULT_PARTITIONS_START = "2026-10-04"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    org: str
    site: str
    events_bucket: str
    courses_bucket: str
    partitions_start: str
    events_collection: str
    daily_schedule_cron: str
    weekly_schedule_cron: str
    rejected_share_warn: float
    keep_decrypted: bool
    events_fresh_hours: float
    courses_fresh_days: float

    @property
    def partitions_start_date(self) -> date:
        return date.fromisoformat(self.partitions_start)

    @property
    def rejected_collection(self) -> str:
        return f"{self.events_collection}_rejected"


def load_settings() -> Settings:
    start = _env("EDX_PARTITIONS_START", DEFAULT_PARTITIONS_START)
    try:
        date.fromisoformat(start)
    except ValueError as exc:
        raise ValueError(f"EDX_PARTITIONS_START must be a date YYYY-MM-DD, got {start!r}") from exc
    return Settings(
        org=_env("EDX_ORG", "idbx").lower(),
        site=_env("EDX_SITE", "edx"),
        events_bucket=_env("EDX_EVENTS_BUCKET", "edx-course-data"),
        courses_bucket=_env("EDX_COURSES_BUCKET", "course-data"),
        partitions_start=start,
        events_collection=_env("EDX_EVENTS_COLLECTION", "Eventos"),
        daily_schedule_cron=_env("EDX_DAILY_SCHEDULE", "0 20 * * *"),
        weekly_schedule_cron=_env("EDX_WEEKLY_SCHEDULE", "0 23 * * 0"),
        rejected_share_warn=_env_float("EDX_REJECTED_SHARE_WARN", 0.01),
        keep_decrypted=_env("EDX_KEEP_DECRYPTED", "false").lower() in {"1", "true", "yes"},
        events_fresh_hours=_env_float("EDX_EVENTS_FRESH_HOURS", 36),
        courses_fresh_days=_env_float("EDX_COURSES_FRESH_DAYS", 8),
    )
