"""decrypted_event_log and eventos: a day's tracking log decrypted into a private file, then every event in
MongoDB (`Eventos`), one document per valid line. One step makes both, so the clear file lives exactly as
long as its load needs it."""

from collections import Counter
from pathlib import Path

import dagster as dg

from edx_assets.config import EdxConfig
from edx_assets.defs.common import (
    MONGO_POOL,
    OWNERS,
    TRANSIENT_RETRY,
    Build,
    counts_table,
    expire_decrypted,
    permanent_failures,
    table_schema,
)
from edx_assets.defs.events.eventos_checks import eventos_check_results, eventos_checks
from edx_assets.defs.events.paths import decrypted_event_log_path, landed_event_log
from edx_assets.defs.partitions import partition_day
from edx_assets.defs.resources import GpgResource, MongoResource, PrivacyResource, WorkspaceResource
from edx_assets.defs.versions import VERSIONED
from edx_assets.edx import event_indexes, event_load, event_protection, handoff, layout, retirement
from edx_assets.edx import eventos_schema as ev
from edx_assets.edx.crypto import DecryptedFile

DECRYPTED_DESCRIPTION = """The day's tracking log in clear text (GPG-decrypted, then gunzipped), one JSON event per line.

Written by streaming to a private file (mode 0600, in a 0700 folder) under EDX_DATA_DIR/decrypted, with a
sidecar holding its size, line count and sha256. It is made by the step that loads it into `eventos` (one
operation, two assets), which removes it once that load has succeeded (EDX_KEEP_DECRYPTED keeps it).
Materialized alone, it stays for inspection until the step's retention removes it: a day's folder left by a
failed or partial run is removed after EDX_DECRYPTED_RETENTION_HOURS (24) by the next run of the step."""

EVENTOS_DESCRIPTION = """`Eventos`: every tracking-log event of every day, one document per valid line.

Each document keeps the original fields under their own names (keys with `.` or a leading `$`
escaped with full-width look-alikes) and adds `_edx`: partition day, parsed time, course id in
`course-v1:` form (from the context or the page URL), user id, event type, the event decoded when
it was a JSON string, and the source file and line. Lines that are not JSON objects go to
`Eventos_rejected` with file, line, reason and raw text. Re-running a day replaces it exactly.
Indexes: `partition_load` (a day's reload and reads) and the partial `enrollment_events`
(enrollment_daily); others only as `EDX_EVENTS_EXTRA_INDEXES` lists them, built after the load.
Personal data follows EDX_STORE_PII (keep; pseudonymize: usernames as keyed pseudonyms, IPs cut to
/24 or /48 after the country lookup, kept as `_edx.ip_country_code`/`ip_country`/`ip_city`;
minimize: also the agent only as its class), recorded in the day's load record and checked; the
events of retired learners (`retired_learners`) are not stored, and counted.
Loaded from `decrypted_event_log`, in the same step; materialized alone, the step decrypts the landed
file itself when the decrypted one is gone, so any landed day can be loaded again from the UI."""


def decrypt_event_log(config: EdxConfig, gpg: GpgResource, workspace: WorkspaceResource,
                      partition: str) -> DecryptedFile:
    """Decrypt and gunzip the landed file into a 0600 file, with its sidecar (bytes, lines, sha256)."""
    source: Path = landed_event_log(config, workspace, partition)
    with permanent_failures():
        if not source.exists():
            raise FileNotFoundError(f"{source.name} is not in the landing area: materialize raw_event_log first")
        with gpg.keyring() as ring:
            result = ring.decrypt_to(source, decrypted_event_log_path(config, workspace, partition), gunzip=True)
    handoff.write_handoff(result)
    return result


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config
    specs = [
        dg.AssetSpec("decrypted_event_log", deps=["raw_event_log"], group_name="decrypted", kinds={"gpg", "file"},
                     owners=OWNERS, code_version=VERSIONED, partitions_def=ctx.daily,
                     description=DECRYPTED_DESCRIPTION),
        dg.AssetSpec("eventos", deps=["decrypted_event_log"], group_name="mongo", kinds={"mongodb"}, owners=OWNERS,
                     code_version=VERSIONED, partitions_def=ctx.daily, freshness_policy=ctx.events_freshness,
                     description=EVENTOS_DESCRIPTION),
    ]

    @dg.multi_asset(name="decrypt_and_load_event_log", specs=specs, partitions_def=ctx.daily, can_subset=True,
                    retry_policy=TRANSIENT_RETRY, pool=MONGO_POOL, check_specs=eventos_checks(ctx.daily))
    def decrypt_and_load_event_log(context: dg.AssetExecutionContext, mongo: MongoResource,
                                   workspace: WorkspaceResource, gpg: GpgResource, privacy: PrivacyResource):
        """A day's tracking log decrypted (decrypted_event_log) and loaded into MongoDB (eventos): one step,
        which owns the clear file's life from decryption to removal."""
        partition = context.partition_key
        selected = {key.to_user_string() for key in context.selected_asset_keys}
        path = decrypted_event_log_path(config, workspace, partition)
        expired = expire_decrypted(context, path.parent.parent, config)
        if "decrypted_event_log" in selected:
            decrypted = decrypt_event_log(config, gpg, workspace, partition)
            yield dg.MaterializeResult(asset_key="decrypted_event_log", metadata={
                "path": dg.MetadataValue.path(str(decrypted.path)),
                "bytes": decrypted.bytes,
                "dagster/row_count": decrypted.lines,
                "lines": decrypted.lines,
                "sha256": decrypted.sha256,
                "expired_days_removed": ", ".join(expired) or "none",
            }, data_version=dg.DataVersion(decrypted.sha256))
        if "eventos" in selected:
            try:
                decrypted = handoff.read_handoff(path)
            except handoff.HandoffMissingError:
                context.log.info(f"{path.name} is not decrypted: decrypting it again from the landing file")
                decrypted = decrypt_event_log(config, gpg, workspace, partition)
            yield from _load(context, config, mongo, privacy, decrypted)

    return dg.Definitions(assets=[decrypt_and_load_event_log])


def _load(context: dg.AssetExecutionContext, config: EdxConfig, mongo: MongoResource, privacy: PrivacyResource,
          decrypted: DecryptedFile):
    """Load the decrypted day into `Eventos`, remove the clear file once loaded; the materialization and checks."""
    partition, path = context.partition_key, decrypted.path
    source_name = layout.event_log_file_name(config.org, config.site, partition_day(partition))
    with mongo.get_database() as db, permanent_failures():
        protection = event_protection.Protection(privacy.store(), retirement.registered(db))
        dropped = event_indexes.drop_unwanted_indexes(db[config.events_collection], config.events_extra_indexes)
        if dropped:
            context.log.info(f"{config.events_collection}: index {', '.join(dropped)} dropped (not listed in "
                             "EDX_EVENTS_EXTRA_INDEXES)")
        result = event_load.load_events(
            db, path, collection=config.events_collection, partition=partition, sha256=decrypted.sha256,
            source_name=source_name, progress=lambda n: context.log.debug(f"{n} lines read"),
            parsers=config.events_parsers, protection=protection,
        )
        if result.unchanged:
            context.log.info(f"{partition}: already loaded from this exact file; nothing written")
        # Opt-in indexes only now, after the load (EDX_EVENTS_EXTRA_INDEXES).
        built = event_indexes.build_extra_indexes(db[config.events_collection], config.events_extra_indexes)
        if built:
            context.log.info(f"{config.events_collection}: index {', '.join(built)} built")
        indexes = sorted(db[config.events_collection].index_information())
        summary = _partition_summary(db[config.events_collection], partition)
        checks = eventos_check_results(db, config, partition, result, decrypted, protection.store.mode)
    if not config.keep_decrypted:
        handoff.remove(path)
    yield dg.MaterializeResult(
        asset_key="eventos",
        metadata={
            "dagster/row_count": result.stored,
            "dagster/column_schema": table_schema(ev.COLUMNS),
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
            "collection": config.events_collection,
            "load_id": result.load_id,
            "indexes": ", ".join(indexes),
            "parsers": config.events_parsers,
            "store_pii": result.store_pii,
            "retired_learners_events_skipped": result.retired,
        }
    )
    selected_checks = context.selected_asset_check_keys
    yield from (c for c in checks if dg.AssetCheckKey(dg.AssetKey("eventos"), c.check_name) in selected_checks)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(",", 1)[0] + ", … (all in the `_edx_loads` load record)"


def _partition_summary(events, partition: str) -> dict:
    facets = next(iter(events.aggregate([
        {"$match": {ev.PARTITION: partition}},
        {"$facet": {
            "users": [{"$match": {"username": {"$nin": ["", None]}}}, {"$group": {"_id": "$username"}},
                      {"$count": "n"}],
            "courses": [{"$match": {ev.COURSE_ID: {"$ne": None}}}, {"$group": {"_id": ev.ref(ev.COURSE_ID)}},
                        {"$count": "n"}],
            "types": [{"$group": {"_id": ev.ref(ev.EVENT_TYPE), "n": {"$sum": 1}}}],
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
