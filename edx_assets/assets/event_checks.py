"""Asset checks of `eventos`, evaluated for the partition right after it is loaded."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
from pymongo.database import Database

from edx_assets.edx.event_load import EventLoadResult
from edx_assets.partitions import daily_partitions
from edx_assets.settings import Settings

MATCHES_FILE = "documents_match_valid_lines"
NO_DUPLICATES = "no_duplicate_lines"
REJECTED_SHARE = "rejected_share_below_threshold"
TIMES_IN_DAY = "times_within_partition_day"

EVENTOS_CHECKS = [
    dg.AssetCheckSpec(MATCHES_FILE, asset="eventos", partitions_def=daily_partitions, blocking=True,
                      description="Documents stored for the day == non-blank lines of the decrypted file "
                                  "minus the lines quarantined in the rejected collection."),
    dg.AssetCheckSpec(NO_DUPLICATES, asset="eventos", partitions_def=daily_partitions, blocking=True,
                      description="No line of the day's file is stored twice."),
    dg.AssetCheckSpec(REJECTED_SHARE, asset="eventos", partitions_def=daily_partitions,
                      description="The share of quarantined lines stays below EDX_REJECTED_SHARE_WARN."),
    dg.AssetCheckSpec(TIMES_IN_DAY, asset="eventos", partitions_def=daily_partitions,
                      description="Event times lie within the day, except mobile events received that day "
                                  "(their share is reported)."),
]


def _non_blank_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def eventos_check_results(db: Database, settings: Settings, partition: str, result: EventLoadResult,
                          path: Path) -> list[dg.AssetCheckResult]:
    events = db[settings.events_collection]
    rejected = db[settings.rejected_collection]
    stored = events.count_documents({"_edx.partition": partition})
    quarantined = rejected.count_documents({"partition": partition})
    expected = _non_blank_lines(path) - quarantined
    duplicates = list(events.aggregate([
        {"$match": {"_edx.partition": partition}},
        {"$group": {"_id": {"file": "$_edx.file", "line": "$_edx.line"}, "n": {"$sum": 1}}},
        {"$match": {"n": {"$gt": 1}}},
        {"$count": "n"},
    ], allowDiskUse=True))
    duplicate_lines = duplicates[0]["n"] if duplicates else 0
    total = stored + quarantined
    share = quarantined / total if total else 0.0

    start = datetime.fromisoformat(partition).replace(tzinfo=None)
    end = start + timedelta(days=1)
    outside = {"_edx.partition": partition, "$or": [{"_edx.time": {"$lt": start}}, {"_edx.time": {"$gte": end}}]}
    out_of_day = events.count_documents(outside)
    late_mobile = events.count_documents({**outside, "_edx.received_at": {"$gte": start, "$lt": end}})
    no_time = events.count_documents({"_edx.partition": partition, "_edx.time": None})
    unexplained = out_of_day - late_mobile

    return [
        dg.AssetCheckResult(
            check_name=MATCHES_FILE, passed=stored == expected,
            metadata={"documents": stored, "expected": expected, "rejected": quarantined},
        ),
        dg.AssetCheckResult(check_name=NO_DUPLICATES, passed=duplicate_lines == 0,
                            metadata={"duplicated_lines": duplicate_lines}),
        dg.AssetCheckResult(
            check_name=REJECTED_SHARE, passed=share <= settings.rejected_share_warn,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rejected_share": round(share, 6), "threshold": settings.rejected_share_warn,
                      "rejected": quarantined},
        ),
        dg.AssetCheckResult(
            check_name=TIMES_IN_DAY, passed=unexplained == 0, severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "outside_day": out_of_day, "late_mobile": late_mobile,
                "late_mobile_share": round(late_mobile / stored, 6) if stored else 0.0,
                "unexplained_outside_day": unexplained, "without_time": no_time,
            },
        ),
    ]
