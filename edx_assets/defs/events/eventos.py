"""eventos: every tracking-log event in MongoDB (`Eventos`), one document per valid line."""

from collections import Counter

import dagster as dg

from edx_assets.defs.common import (
    MONGO_POOL,
    OWNERS,
    TRANSIENT_RETRY,
    Build,
    counts_table,
    permanent_failures,
    table_schema,
)
from edx_assets.defs.events.decrypted_event_log import decrypt_event_log
from edx_assets.defs.events.eventos_checks import eventos_check_results, eventos_checks
from edx_assets.defs.events.paths import decrypted_event_log_path
from edx_assets.defs.partitions import partition_day
from edx_assets.defs.resources import GpgResource, MongoResource, PrivacyResource, WorkspaceResource
from edx_assets.defs.versions import VERSIONED
from edx_assets.edx import event_indexes, event_load, event_protection, handoff, layout, retirement
from edx_assets.edx import eventos_schema as ev


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @dg.asset(partitions_def=ctx.daily, deps=["decrypted_event_log"], group_name="mongo", kinds={"mongodb"},
              owners=OWNERS, retry_policy=TRANSIENT_RETRY, pool=MONGO_POOL, check_specs=eventos_checks(ctx.daily),
              freshness_policy=ctx.events_freshness, code_version=VERSIONED)
    def eventos(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                gpg: GpgResource, privacy: PrivacyResource):
        """`Eventos`: every tracking-log event of every day, one document per valid line.

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
        When the decrypted file is gone (it is removed after each load), it is decrypted again from the
        landing file, so this asset can be materialized alone for any landed day.
        """
        partition = context.partition_key
        path = decrypted_event_log_path(config, workspace, partition)
        try:
            decrypted = handoff.read_handoff(path)
        except handoff.HandoffMissingError:
            context.log.info(f"{path.name} is not decrypted: decrypting it again from the landing file")
            decrypted = decrypt_event_log(config, gpg, workspace, partition)
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
        yield from checks

    return dg.Definitions(assets=[eventos])


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
