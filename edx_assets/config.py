"""The one configuration object of the code location, built once from the environment and passed in.

`EdxConfig.from_env()` is the only place the EDX_* settings are read (the local stack's own files
aside). Everything else receives an `EdxConfig`: `build_defs(config)` makes the partitions, schedules,
freshness policies, resources and executor from it, and tests build one directly.

Secrets (AWS keys, the GPG key and passphrase, the MongoDB URI, the pseudonym key) are never held
here: the resources read them at run time through `dg.EnvVar`. The config only records which of the
optional ones are set, so that an unset one is left to its default (e.g. AWS's credential chain).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

# The demo's delivery: three weeks and a day of 2026 autumn, Sunday to Sunday (4 weekly packages).
DEFAULT_PARTITIONS_START = date(2026, 10, 4)
# Secrets that may be absent (the resource then falls back to its default); read through dg.EnvVar.
OPTIONAL_SECRETS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "EDX_GPG_PRIVATE_KEY", "EDX_GPG_PASSPHRASE",
                    "EDX_REPORTS_PSEUDONYM_KEY")
PII_MODES = ("include", "pseudonymize", "drop")
STORE_PII_MODES = ("keep", "pseudonymize", "minimize")
EXECUTORS = ("multiprocess", "in_process", "k8s")


class ConfigError(ValueError):
    """A setting has a value the code location cannot use; the message names the variable."""


@dataclass(frozen=True)
class EdxConfig:
    # the delivery
    org: str = "idbx"
    site: str = "edx"
    events_bucket: str = "edx-course-data"
    courses_bucket: str = "course-data"
    s3_endpoint_url: str | None = None  # None: AWS itself
    aws_region: str = "us-east-1"
    # decryption (the key itself and its passphrase are secrets)
    gpg_private_key_file: str | None = None
    # MongoDB (the URI is a secret)
    mongo_db: str = "edx"
    mongo_write_concern: str = "majority"  # w of every write (a number of members, or majority)
    mongo_read_preference: str = "primary"  # where the reports read (secondaryPreferred on a replica set)
    events_collection: str = "Eventos"
    events_extra_indexes: tuple[str, ...] = ()  # opt-in indexes on Eventos (names or key specs)
    events_parsers: int = 1  # processes parsing a day's file while another inserts (more pays with a remote mongod)
    # files and partitions
    data_dir: str = "data"
    partitions_start: date = DEFAULT_PARTITIONS_START
    keep_decrypted: bool = False
    decrypted_retention_hours: float = 24  # leftovers of a failed or partial step removed after this long
    # automation and checks
    daily_schedule_cron: str = "0 20 * * *"
    weekly_schedule_cron: str = "0 23 * * 0"
    sensor_interval_seconds: int = 300  # between the sensors' looks (S3 arrivals, freshness)
    automation_interval_seconds: int = 30  # between the refresh sensor's evaluations (declarative automation)
    events_data_lag_hours: float = 48  # the newest loaded day's end may be this old
    courses_data_lag_days: float = 8  # the newest loaded weekly package may be this old
    rejected_share_warn: float = 0.01
    events_fresh_hours: float = 36
    courses_fresh_days: float = 8
    executor: str = "multiprocess"  # or "in_process" (each run in one process) or "k8s"
    # reports
    reports_pii: str = "include"
    reports_bucket: str | None = None
    reports_prefix: str = "reports"
    course_metadata_file: str | None = None
    reports_include_course_team: bool = False  # per-course aggregates count the course team too
    reports_lang: str = "es"  # dashboards' labels and number format: es | en
    min_cell: int = 5  # aggregates leaving the platform hide cells of fewer learners (1: hide nothing)
    integrity_signals: bool = False  # opt-in: compute integrity_signals (account pairs, edx2bigquery's CAMEO)
    integrity_min_problems: int = 10  # the pairs' thresholds (edx2bigquery: 10 problems)
    # personal data in MongoDB (edx/privacy.py) and learner retirement (edx/retirement.py)
    store_pii: str = "keep"  # keep | pseudonymize | minimize
    retired_learners_file: str | None = None  # the partner's own list of retired user ids
    # which optional secrets the environment holds (their values stay there)
    secrets_set: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.reports_pii not in PII_MODES:
            raise ConfigError(f"EDX_REPORTS_PII must be one of {', '.join(PII_MODES)}, got {self.reports_pii!r}")
        if self.reports_lang not in {"es", "en"}:
            raise ConfigError(f"EDX_REPORTS_LANG must be es or en, got {self.reports_lang!r}")
        if self.store_pii not in STORE_PII_MODES:
            raise ConfigError(f"EDX_STORE_PII must be one of {', '.join(STORE_PII_MODES)}, got {self.store_pii!r}")
        if self.store_pii != "keep" and "EDX_REPORTS_PSEUDONYM_KEY" not in self.secrets_set:
            raise ConfigError(f"EDX_STORE_PII={self.store_pii} needs a secret key in EDX_REPORTS_PSEUDONYM_KEY "
                              "(the same keyed pseudonyms as the report files)")
        if self.integrity_min_problems < 1:
            raise ConfigError("EDX_INTEGRITY_MIN_PROBLEMS must be a whole number of 1 or more, got "
                              f"{self.integrity_min_problems!r}")
        if self.min_cell < 1:
            raise ConfigError(f"EDX_MIN_CELL must be a whole number of 1 or more, got {self.min_cell!r}")
        from edx_assets.edx.replication import READ_PREFERENCES

        if self.mongo_read_preference not in READ_PREFERENCES:
            raise ConfigError(f"EDX_MONGO_READ_PREFERENCE must be one of {', '.join(READ_PREFERENCES)}, got "
                              f"{self.mongo_read_preference!r}")
        if self.mongo_write_concern != "majority" and not self.mongo_write_concern.isdigit():
            raise ConfigError(f"EDX_MONGO_WRITE_CONCERN must be majority or a number of members, got "
                              f"{self.mongo_write_concern!r}")
        if not 1 <= self.events_parsers <= 32:
            raise ConfigError(f"EDX_EVENTS_PARSERS must be a whole number from 1 to 32, got {self.events_parsers!r}")
        from edx_assets.edx.event_indexes import extra_index

        for spec in self.events_extra_indexes:
            try:
                extra_index(spec)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        if self.executor not in EXECUTORS:
            raise ConfigError(f"EDX_EXECUTOR must be one of {', '.join(EXECUTORS)}, got {self.executor!r}")

    @property
    def rejected_collection(self) -> str:
        return f"{self.events_collection}_rejected"

    def with_(self, **changes: object) -> EdxConfig:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EdxConfig:
        """The configuration the environment describes (`.env.example` lists every variable)."""
        env = os.environ if environ is None else environ

        def text(name: str, default: str | None = None) -> str | None:
            value = (env.get(name) or "").strip()
            return value or default

        def number(name: str, default: float, kind: type = float) -> float:
            raw = text(name, str(default))
            try:
                return kind(raw)
            except ValueError:
                what = "a whole number" if kind is int else "a number"
                raise ConfigError(f"{name} must be {what}, got {raw!r}") from None

        start = text("EDX_PARTITIONS_START", DEFAULT_PARTITIONS_START.isoformat())
        try:
            start_date = date.fromisoformat(start)
        except ValueError:
            raise ConfigError(f"EDX_PARTITIONS_START must be a date YYYY-MM-DD, got {start!r}") from None
        return cls(
            org=text("EDX_ORG", "idbx").lower(),
            site=text("EDX_SITE", "edx"),
            events_bucket=text("EDX_EVENTS_BUCKET", "edx-course-data"),
            courses_bucket=text("EDX_COURSES_BUCKET", "course-data"),
            s3_endpoint_url=text("EDX_S3_ENDPOINT_URL"),
            aws_region=text("AWS_DEFAULT_REGION", "us-east-1"),
            gpg_private_key_file=text("EDX_GPG_PRIVATE_KEY_FILE"),
            mongo_db=text("EDX_MONGO_DB", "edx"),
            mongo_write_concern=text("EDX_MONGO_WRITE_CONCERN", "majority"),
            mongo_read_preference=text("EDX_MONGO_READ_PREFERENCE", "primary"),
            events_collection=text("EDX_EVENTS_COLLECTION", "Eventos"),
            events_extra_indexes=tuple(filter(None, (p.strip() for p in text("EDX_EVENTS_EXTRA_INDEXES", "").split(",")))),
            events_parsers=number("EDX_EVENTS_PARSERS", 1, int),
            data_dir=text("EDX_DATA_DIR", "data"),
            partitions_start=start_date,
            keep_decrypted=text("EDX_KEEP_DECRYPTED", "false").lower() in {"1", "true", "yes"},
            decrypted_retention_hours=number("EDX_DECRYPTED_RETENTION_HOURS", 24),
            daily_schedule_cron=text("EDX_DAILY_SCHEDULE", "0 20 * * *"),
            weekly_schedule_cron=text("EDX_WEEKLY_SCHEDULE", "0 23 * * 0"),
            sensor_interval_seconds=int(number("EDX_SENSOR_INTERVAL_SECONDS", 300)),
            automation_interval_seconds=int(number("EDX_AUTOMATION_INTERVAL_SECONDS", 30)),
            events_data_lag_hours=number("EDX_EVENTS_DATA_LAG_HOURS", 48),
            courses_data_lag_days=number("EDX_COURSES_DATA_LAG_DAYS", 8),
            rejected_share_warn=number("EDX_REJECTED_SHARE_WARN", 0.01),
            events_fresh_hours=number("EDX_EVENTS_FRESH_HOURS", 36),
            courses_fresh_days=number("EDX_COURSES_FRESH_DAYS", 8),
            executor=text("EDX_EXECUTOR", "multiprocess").lower(),
            reports_pii=text("EDX_REPORTS_PII", "include").lower(),
            reports_bucket=text("EDX_REPORTS_BUCKET"),
            reports_prefix=text("EDX_REPORTS_PREFIX", "reports"),
            course_metadata_file=text("EDX_COURSE_METADATA_FILE"),
            reports_lang=text("EDX_REPORTS_LANG", "es").lower(),
            min_cell=number("EDX_MIN_CELL", 5, int),
            integrity_signals=text("EDX_INTEGRITY_SIGNALS", "false").lower() in {"1", "true", "yes"},
            integrity_min_problems=number("EDX_INTEGRITY_MIN_PROBLEMS", 10, int),
            store_pii=text("EDX_STORE_PII", "keep").lower(),
            retired_learners_file=text("EDX_RETIRED_LEARNERS_FILE"),
            reports_include_course_team=text("EDX_REPORTS_INCLUDE_COURSE_TEAM", "false").lower() in {"1", "true", "yes"},
            secrets_set=frozenset(name for name in OPTIONAL_SECRETS if text(name)),
        )
