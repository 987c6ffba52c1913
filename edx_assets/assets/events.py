"""Daily events lineage: raw_event_log (S3) -> decrypted_event_log (file) -> eventos (MongoDB)."""


import hashlib
from collections import Counter
from pathlib import Path

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.assets.common import (
    EVENTS_FRESHNESS,
    MONGO_POOL,
    OWNERS,
    TRANSIENT_RETRY,
    counts_table,
    landed_result,
    permanent_failures,
)
from edx_assets.assets.event_checks import EVENTOS_CHECKS, eventos_check_results
from edx_assets.edx import event_load, landing, layout, tracking_log
from edx_assets.partitions import daily_partitions, partition_day
from edx_assets.resources import GpgResource, MongoResource, WorkspaceResource
from edx_assets.settings import load_settings


def event_log_name(partition: str) -> str:
    settings = load_settings()
    return Path(layout.event_log_key(settings.org, settings.site, partition_day(partition))).name


def decrypted_event_log_path(workspace: WorkspaceResource, partition: str) -> Path:
    name = event_log_name(partition).removesuffix(".gz.gpg")
    return workspace.decrypted_dir("events", partition) / name


@dg.asset(
    partitions_def=daily_partitions,
    group_name="raw",
    kinds={"s3"},
    owners=OWNERS,
    retry_policy=TRANSIENT_RETRY,
    code_version="1",
)
def raw_event_log(
    context: dg.AssetExecutionContext, s3: S3Resource, workspace: WorkspaceResource
) -> dg.MaterializeResult:
    """The day's tracking log as edX delivered it (gzip, then GPG), copied from S3 to the landing area.

    Key: `{org}/{site}/events/{YYYY}/{org}-{site}-events-{YYYY-MM-DD}.log.gz.gpg` in EDX_EVENTS_BUCKET,
    the year folder being the year of the partition's day. A re-run skips the download when the
    object's ETag has not changed.
    """
    settings = load_settings()
    day = partition_day(context.partition_key)
    key = layout.event_log_key(settings.org, settings.site, day)
    with permanent_failures():
        landed = landing.land(s3.get_client(), settings.events_bucket, key, workspace.landing_dir("events"))
    context.log.info(
        f"{'downloaded' if landed.downloaded else 'unchanged, kept'} s3://{landed.bucket}/{landed.key}"
    )
    return landed_result(landed)


@dg.asset(
    partitions_def=daily_partitions,
    deps=[raw_event_log],
    group_name="decrypted",
    kinds={"gpg", "file"},
    owners=OWNERS,
    code_version="1",
)
def decrypted_event_log(
    context: dg.AssetExecutionContext, gpg: GpgResource, workspace: WorkspaceResource
) -> dg.MaterializeResult:
    """The day's tracking log in clear text (GPG-decrypted, then gunzipped), one JSON event per line.

    Written by streaming to a private file (mode 0600) under EDX_DATA_DIR/decrypted; `eventos` removes
    it after loading unless EDX_KEEP_DECRYPTED is set.
    """
    partition = context.partition_key
    source = workspace.landing_dir("events") / event_log_name(partition)
    target = decrypted_event_log_path(workspace, partition)
    with permanent_failures():
        if not source.exists():
            raise FileNotFoundError(f"{source.name} is not in the landing area: materialize raw_event_log first")
        with gpg.keyring() as ring:
            result = ring.decrypt_to(source, target, gunzip=True)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "bytes": result.bytes,
            "dagster/row_count": result.lines,
            "lines": result.lines,
            "sha256": result.sha256,
        },
        data_version=dg.DataVersion(result.sha256),
    )


@dg.asset(
    partitions_def=daily_partitions,
    deps=[decrypted_event_log],
    group_name="mongo",
    kinds={"mongodb"},
    owners=OWNERS,
    retry_policy=TRANSIENT_RETRY,
    pool=MONGO_POOL,
    check_specs=EVENTOS_CHECKS,
    freshness_policy=EVENTS_FRESHNESS,
    code_version=f"parser-{tracking_log.PARSER_VERSION}",
)
def eventos(
    context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource
):
    """`Eventos`: every tracking-log event of every day, one document per valid line.

    Each document keeps the original fields under their own names (keys with `.` or a leading `$`
    escaped with full-width look-alikes) and adds `_edx`: partition day, parsed time, course id in
    `course-v1:` form (from the context or the page URL), user id, event type, the event decoded when
    it was a JSON string, and the source file and line. Lines that are not JSON objects go to
    `Eventos_rejected` with file, line, reason and raw text. Re-running a day replaces it exactly.
    """
    settings = load_settings()
    partition = context.partition_key
    path = decrypted_event_log_path(workspace, partition)
    with permanent_failures():
        if not path.exists():
            raise FileNotFoundError(
                f"{path.name} is not decrypted (it is removed after each load): materialize "
                "decrypted_event_log for this day first"
            )
    sha256 = _sha256(path)
    with mongo.get_database() as db:
        result = event_load.load_events(
            db, path, collection=settings.events_collection, partition=partition, sha256=sha256,
            source_name=event_log_name(partition),
            progress=lambda n: context.log.debug(f"{n} lines read"),
        )
        if result.unchanged:
            context.log.info(f"{partition}: already loaded from this exact file; nothing written")
        summary = _partition_summary(db[settings.events_collection], partition)
        checks = eventos_check_results(db, settings, partition, result, path)
    if not settings.keep_decrypted:
        path.unlink(missing_ok=True)
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": result.stored,
            "inserted": result.inserted,
            "already_present": result.already_present,
            "rejected": result.rejected,
            "blank_lines": result.blank,
            # Where they are (line numbers, runs as first-last); the whole list is in the load record.
            "blank_line_positions": _shorten(result.blank_lines or "none", 300),
            "syslog_prefixes_stripped": result.prefixed,
            "stale_documents_removed": result.removed_stale,
            "unchanged": result.unchanged,
            "distinct_users": summary["users"],
            "distinct_courses": summary["courses"],
            "events_per_type": counts_table(summary["types"], "event type", "events"),
            "rejection_reasons": counts_table(dict(result.rejection_reasons), "reason", "lines"),
            "collection": settings.events_collection,
            "load_id": result.load_id,
        }
    )
    yield from checks


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _partition_summary(events, partition: str) -> dict:
    match = {"$match": {"_edx.partition": partition}}
    facets = next(iter(events.aggregate([
        match,
        {"$facet": {
            "users": [{"$match": {"username": {"$nin": ["", None]}}}, {"$group": {"_id": "$username"}},
                      {"$count": "n"}],
            "courses": [{"$match": {"_edx.course_id": {"$ne": None}}}, {"$group": {"_id": "$_edx.course_id"}},
                        {"$count": "n"}],
            "types": [{"$group": {"_id": "$_edx.event_type", "n": {"$sum": 1}}}],
        }},
    ], allowDiskUse=True)))
    types: Counter = Counter()
    for row in facets["types"]:  # implicit events' types are URL paths: count them together
        types["(url)" if str(row["_id"]).startswith("/") else str(row["_id"])] += row["n"]
    return {
        "users": facets["users"][0]["n"] if facets["users"] else 0,
        "courses": facets["courses"][0]["n"] if facets["courses"] else 0,
        "types": types,
    }


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(",", 1)[0] + ", … (all in the `_edx_loads` load record)"
