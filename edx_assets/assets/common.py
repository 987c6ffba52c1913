"""Shared pieces of the asset layer: owners, retry policies, metadata helpers, error translation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import dagster as dg

from edx_assets.edx.crypto import CorruptPayloadError, DecryptionError
from edx_assets.edx.landing import DeliveryMissingError, LandedObject, S3AccessError
from edx_assets.settings import load_settings

OWNERS = ["team:data-platform"]

_settings = load_settings()
# The UI shows Eventos stale when no day landed for 36 hours, course data and reports after 8 days.
EVENTS_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=_settings.events_fresh_hours))
WEEKLY_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(days=_settings.courses_fresh_days))
MONGO_POOL = "mongodb"

# S3 and MongoDB have bad minutes: retry with exponential backoff (5 s, 10 s, 20 s) and jitter.
TRANSIENT_RETRY = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)

# Errors that another attempt cannot fix: fail at once with the message, no retry.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    DeliveryMissingError, S3AccessError, DecryptionError, CorruptPayloadError, FileNotFoundError, ValueError,
)


@contextmanager
def permanent_failures():
    """Turn errors that a retry cannot fix into a dg.Failure without retries, keeping the message."""
    try:
        yield
    except PERMANENT_ERRORS as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], limit: int = 20) -> dg.MetadataValue:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for i, row in enumerate(rows):
        if i >= limit:
            lines.append("| … |" + " |" * (len(headers) - 1))
            break
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return dg.MetadataValue.md("\n".join(lines))


def counts_table(counts: Mapping[str, int], key: str, value: str = "count", limit: int = 30) -> dg.MetadataValue:
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return markdown_table([key, value], rows, limit)


def landed_result(landed: LandedObject) -> dg.MaterializeResult:
    """The materialization of a raw S3 object copied to the landing area (data version = its ETag)."""
    return dg.MaterializeResult(
        metadata={
            "s3_uri": dg.MetadataValue.url(f"s3://{landed.bucket}/{landed.key}"),
            "s3_key": landed.key,
            "size_bytes": landed.size,
            "etag": landed.etag,
            "last_modified": landed.last_modified.isoformat(),
            "downloaded": landed.downloaded,
            "landing_path": dg.MetadataValue.path(str(landed.path)),
        },
        data_version=dg.DataVersion(landed.etag),
    )
