"""learner_totals: each learner's activity per course over its life up to the week's Sunday, kept incrementally."""

import dagster as dg

from edx_assets.defs.common import Build, markdown_table, table_schema
from edx_assets.defs.reports.common import carried_week, reconciliation, week_sunday
from edx_assets.defs.resources import MongoResource
from edx_assets.edx import learner_day as ld
from edx_assets.edx import learner_totals as lt

RECONCILES = "nevents_reconcile_with_learner_day"
DESCRIBED = {name: (kind, text) for name, kind, text in ld.COLUMNS}


def build(ctx: Build) -> dg.Definitions:
    @carried_week(ctx, asset="learner_totals", daily="learner_day")
    def learner_totals(context: dg.AssetExecutionContext, mongo: MongoResource):
        """The `learner_totals` collection: per week (its Sunday), course and learner, the learner's
        `learner_day` rows of every day before the Sunday, summed: what person_course, active_users_report,
        video_engagement and problem_analysis read instead of the history.

        Incremental: last week's totals plus the 7 days before the Sunday, so a week costs the same
        whatever the history. Without last week's totals (the first week, or a gap) every learner day
        before the Sunday is folded once (metadata `mode: full`). Sums add; first/last event take the
        min/max; ndays_act counts learner days; videos and problems are unions; video_detail and
        problem_detail merge per video (plays, furthest position, ended) and per problem (checks, right
        on attempt 1, best score, show-answers). A learner day re-run after its week was computed makes
        this week and the following ones stale: the `refresh_downstream` sensor recomputes them in order.
        """
        sunday = week_sunday(context.partition_key)
        with mongo.get_database(secondary_ok=True) as db:
            week = lt.compute(db, sunday)
            written = lt.write_week(db, sunday, week.frame)
        frame = week.frame
        preview = frame.head(10).select("course_id", "user_id", "nevents", "ndays_act", "time_on_task_30")
        return dg.MaterializeResult(metadata={
            "dagster/row_count": written.rows,
            "dagster/column_schema": table_schema([
                (c, *DESCRIBED.get(c, ("integer", "learner days with events"))) for c in lt.COLUMNS]),
            "mode": week.mode,
            "learner_days_read": week.days_read,
            "learners": frame.get_column("user_id").n_unique() if frame.height else 0,
            "events": int(frame.get_column("nevents").sum()) if frame.height else 0,
            "stale_rows_removed": written.removed_stale,
            "preview": markdown_table(preview.columns, preview.iter_rows(), limit=10),
        })

    reconciles = reconciliation(ctx, asset="learner_totals", check=RECONCILES, measure=_measure, description=(
        "Sum of nevents == last week's totals + the week's learner_day events (counted by MongoDB, not "
        "polars); on a full computation (no totals of last week), == every learner_day event before the Sunday."))
    return dg.Definitions(assets=[learner_totals], asset_checks=[reconciles])


def _measure(db, sunday) -> tuple[int, int, str]:
    """(events stored for the week, events expected from learner_day, the mode that expects them)."""
    since = lt.week_start(sunday)
    if lt.week_done(db, since):
        return _stored_events(db, sunday), _stored_events(db, since) + _day_events(db, since, sunday), "incremental"
    return _stored_events(db, sunday), _day_events(db, None, sunday), "full"


def _sum(db, collection: str, match: dict) -> int:
    rows = list(db[collection].aggregate([{"$match": match}, {"$group": {"_id": None, "n": {"$sum": "$nevents"}}}]))
    return int(rows[0]["n"]) if rows else 0


def _stored_events(db, sunday) -> int:
    return _sum(db, lt.COLLECTION, {"week": sunday.isoformat()})


def _day_events(db, since, before) -> int:
    days = {"$lt": before.isoformat(), **({"$gte": since.isoformat()} if since else {})}
    return _sum(db, ld.COLLECTION, {"day": days})


