"""Asset checks of `eventos`, evaluated for the partition right after it is loaded."""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg
from pymongo.database import Database

from edx_assets.config import EdxConfig
from edx_assets.edx import eventos_schema as ev
from edx_assets.edx import privacy
from edx_assets.edx.crypto import DecryptedFile
from edx_assets.edx.event_load import EventLoadResult
from edx_assets.edx.eventos_reads import LOADS_COLLECTION, marker_id

MATCHES_FILE = "documents_match_valid_lines"
NO_DUPLICATES = "no_duplicate_lines"
REJECTED_SHARE = "rejected_share_below_threshold"
TIMES_IN_DAY = "times_within_partition_day"
PERSONAL_DATA = "personal_data_as_store_mode"

def eventos_checks(daily: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(MATCHES_FILE, asset="eventos", partitions_def=daily, blocking=True,
                          description="Documents stored for the day == lines of the decrypted file (counted "
                                      "while decrypting) minus blank lines, the lines quarantined and the "
                                      "events of retired learners (not stored)."),
        dg.AssetCheckSpec(NO_DUPLICATES, asset="eventos", partitions_def=daily, blocking=True,
                          description="No line of the day's file is stored twice."),
        dg.AssetCheckSpec(REJECTED_SHARE, asset="eventos", partitions_def=daily,
                          description="The share of quarantined lines stays below EDX_REJECTED_SHARE_WARN."),
        dg.AssetCheckSpec(TIMES_IN_DAY, asset="eventos", partitions_def=daily,
                          description="Event times lie within the day, except mobile events received that day "
                                      "(their share is reported)."),
        dg.AssetCheckSpec(PERSONAL_DATA, asset="eventos", partitions_def=daily, blocking=True,
                          description="The day was stored under EDX_STORE_PII's mode (its load record says so) "
                                      "and no event holds what the mode forbids: a username that is no "
                                      "pseudonym, an IP address not cut to its network, a raw user agent "
                                      "(minimize)."),
    ]


def eventos_check_results(db: Database, config: EdxConfig, partition: str, result: EventLoadResult,
                          decrypted: DecryptedFile, store_mode: str = "keep") -> list[dg.AssetCheckResult]:
    events = db[config.events_collection]
    rejected = db[config.rejected_collection]
    stored = events.count_documents({ev.PARTITION: partition})
    quarantined = rejected.count_documents({"partition": partition})
    # The decrypting stage counted the file's lines as it wrote them; the loader found the blank ones.
    expected = decrypted.lines - result.blank - quarantined - result.retired
    duplicates = list(events.aggregate([
        {"$match": {ev.PARTITION: partition}},
        {"$group": {"_id": {"file": ev.ref(ev.FILE), "line": ev.ref(ev.LINE)}, "n": {"$sum": 1}}},
        {"$match": {"n": {"$gt": 1}}},
        {"$count": "n"},
    ], allowDiskUse=True))
    duplicate_lines = duplicates[0]["n"] if duplicates else 0
    total = stored + quarantined
    share = quarantined / total if total else 0.0

    start = datetime.fromisoformat(partition).replace(tzinfo=None)
    end = start + timedelta(days=1)
    outside = {ev.PARTITION: partition, "$or": [{ev.TIME: {"$lt": start}}, {ev.TIME: {"$gte": end}}]}
    out_of_day = events.count_documents(outside)
    late_mobile = events.count_documents({**outside, ev.RECEIVED_AT: {"$gte": start, "$lt": end}})
    no_time = events.count_documents({ev.PARTITION: partition, ev.TIME: None})
    unexplained = out_of_day - late_mobile
    forbidden = privacy.forbidden_in_events(store_mode)
    violations = events.count_documents({ev.PARTITION: partition, **forbidden}) if forbidden else 0
    record = db[LOADS_COLLECTION].find_one({"_id": marker_id(config.events_collection, partition)}) or {}
    recorded_mode = record.get("store_pii", "keep")

    return [
        dg.AssetCheckResult(
            check_name=MATCHES_FILE, passed=stored == expected and result.lines == decrypted.lines,
            metadata={"documents": stored, "expected": expected, "rejected": quarantined,
                      "file_lines": decrypted.lines, "lines_read_by_loader": result.lines,
                      "blank_lines": result.blank, "retired_learners_events": result.retired},
        ),
        dg.AssetCheckResult(check_name=NO_DUPLICATES, passed=duplicate_lines == 0,
                            metadata={"duplicated_lines": duplicate_lines}),
        dg.AssetCheckResult(
            check_name=REJECTED_SHARE, passed=share <= config.rejected_share_warn,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rejected_share": round(share, 6), "threshold": config.rejected_share_warn,
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
        dg.AssetCheckResult(
            check_name=PERSONAL_DATA, passed=violations == 0 and recorded_mode == store_mode,
            metadata={"store_pii": store_mode, "load_record_store_pii": recorded_mode,
                      "events_holding_forbidden_data": violations},
        ),
    ]
