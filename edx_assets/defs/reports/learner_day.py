"""learner_day: one row per course, learner and day, from that day's Eventos partition only."""

import dagster as dg

from edx_assets.defs.common import Build, markdown_table, table_schema
from edx_assets.defs.reports.common import daily_table, with_definitions
from edx_assets.defs.resources import MongoResource
from edx_assets.edx import learner_day as ld

RECONCILES = "nevents_reconcile_with_eventos"


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @daily_table(ctx, deps=["eventos"], kinds={"mongodb", "polars"}, check_specs=[dg.AssetCheckSpec(
        RECONCILES, asset="learner_day", partitions_def=ctx.daily, blocking=True,
        description="Sum of nevents == the day's Eventos documents that carry a course and a user id and are "
                    "activity (not enrollment or task events).")])
    @with_definitions(ld.DEFINITIONS)
    def learner_day(context: dg.AssetExecutionContext, mongo: MongoResource):
        """The `learner_day` collection: one document per course, learner (user id) and partition day,
        computed with polars from that day's `Eventos` documents with a course and a user id that the learner
        caused -- enrollment events (logged by the server, usually as `anonymous`) and `task` events are not
        activity, as edx-analytics-pipeline's user_activity.py `get_predicate_labels` -- and nothing else
        (so a day costs the same whatever the history). The weekly learner reports are rollups of it.

        Definitions (time on task, sessions, video viewings, answers, agent classes): the list below, from
        edx_assets/edx/learner_day.py, with their sources; docs/definitions.md compares them with the peers'.
        Re-running a day rewrites the same documents (stable ids) and removes rows no longer produced.
        """
        day = context.partition_key
        with mongo.get_database(secondary_ok=True) as db:
            rows = ld.compute(ld.read_day(db, config.events_collection, day), day)
            written = ld.write_day(db, rows, day)
            stored = ld.stored_events(db, day)
            expected = ld.eventos_events(db, config.events_collection, day)
        preview = rows.head(10).select(["course_id", "user_id", "nevents", "sessions", "time_on_task_30",
                                        "video_seconds_watched", "nproblem_check"])
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": written.rows,
            "dagster/column_schema": table_schema(ld.COLUMNS),
            "learners": written.learners,
            "courses": written.courses,
            "events": written.nevents,
            "stale_rows_removed": written.removed_stale,
            "version": written.version,
            "preview": markdown_table(preview.columns, preview.iter_rows(), limit=10),
        })
        yield dg.AssetCheckResult(check_name=RECONCILES, passed=stored == expected,
                                  metadata={"learner_day_events": stored, "eventos_events": expected})

    return dg.Definitions(assets=[learner_day])
