"""learner_ips: per learner and IP, events, first seen and enrollment activation, kept week by week."""

import dagster as dg

from edx_assets.defs.common import Build
from edx_assets.defs.reports.common import carried_week, reconciliation, week_sunday
from edx_assets.defs.resources import MongoResource
from edx_assets.edx import eventos_schema as ev
from edx_assets.edx import learner_ips as li

RECONCILES = "events_reconcile_with_eventos"


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @carried_week(ctx, asset="learner_ips", daily="eventos")
    def learner_ips(context: dg.AssetExecutionContext, mongo: MongoResource):
        """The `learner_ips` collection: per week (its Sunday), learner (user id) and IP: n (events filed
        before the Sunday that carried it), first (when it was first seen), activated (the first
        enrollment activation from it, or empty), username. What learner_locations_report chooses the
        registration and modal IPs from, instead of grouping every event ever stored.

        Incremental: last week's plus the `Eventos` days of the 7 days before the Sunday (grouped by
        MongoDB through the partition index); without last week's, every stored day is grouped once
        (metadata `mode: full`). Holds IP addresses, like `Eventos`; never written to a file.
        """
        sunday = week_sunday(context.partition_key)
        with mongo.get_database(secondary_ok=True) as db:
            week = li.compute(db, config.events_collection, sunday)
            written = li.write_week(db, sunday, week.frame)
        frame = week.frame
        return dg.MaterializeResult(metadata={
            "dagster/row_count": written.rows, "mode": week.mode,
            "learners": frame.get_column("user_id").n_unique() if frame.height else 0,
            "events": int(frame.get_column("n").sum()) if frame.height else 0,
            "stale_rows_removed": written.removed_stale,
        })

    def measure(db, sunday) -> tuple[int, int, str]:
        since = li.week_start(sunday)
        if li.week_done(db, since):
            expected = _stored(db, since) + _events(db, config.events_collection, since, sunday)
            return _stored(db, sunday), expected, "incremental"
        return _stored(db, sunday), _events(db, config.events_collection, None, sunday), "full"

    reconciles = reconciliation(ctx, asset="learner_ips", check=RECONCILES, measure=measure, description=(
        "Sum of events == last week's + the week's Eventos documents with a user id and an IP; on a full "
        "computation (no IPs of last week), == every such document filed before the Sunday."))
    return dg.Definitions(assets=[learner_ips], asset_checks=[reconciles])


def _stored(db, sunday) -> int:
    rows = list(db[li.COLLECTION].aggregate([{"$match": {"week": sunday.isoformat()}},
                                             {"$group": {"_id": None, "n": {"$sum": "$n"}}}]))
    return int(rows[0]["n"]) if rows else 0


def _events(db, events: str, since, before) -> int:
    days = {"$lt": before.isoformat(), **({"$gte": since.isoformat()} if since else {})}
    return db[events].count_documents({ev.PARTITION: days, ev.USER_ID: {"$ne": None}, "ip": {"$nin": ["", None]}})
