"""learner_day: one row per course, learner and day, from that day's Eventos partition only."""

import dagster as dg

from edx_assets.defs.common import Build, markdown_table, table_schema
from edx_assets.defs.reports.common import daily_table
from edx_assets.defs.resources import MongoResource
from edx_assets.edx import learner_day as ld

RECONCILES = "nevents_reconcile_with_eventos"


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @daily_table(ctx, deps=["eventos"], kinds={"mongodb", "polars"}, check_specs=[dg.AssetCheckSpec(
        RECONCILES, asset="learner_day", partitions_def=ctx.daily, blocking=True,
        description="Sum of nevents == the day's Eventos documents that carry a course and a user id and are "
                    "activity (not enrollment or task events).")])
    def learner_day(context: dg.AssetExecutionContext, mongo: MongoResource):
        """The `learner_day` collection: one document per course, learner (user id) and partition day,
        computed with polars from that day's `Eventos` documents with a course and a user id that the learner
        caused -- enrollment events (logged by the server, usually as `anonymous`) and `task` events are not
        activity, as edx-analytics-pipeline's user_activity.py `get_predicate_labels` -- and nothing else
        (so a day costs the same whatever the history). The weekly learner reports are rollups of it.

        Definitions follow edx2bigquery's `time_on_task` (make_time_on_task.py): time on task is the sum of
        the gaps between a learner's consecutive events in the course, a gap counting only when shorter
        than the cutoff (5 or 30 minutes), so the last event of a session adds nothing; a session ends at
        a gap over 30 minutes; video/problem/forum/other time sum the gaps of each kind's own chain of events
        (so they do not add up to the total); `/xblock/` handler calls count as events but not in time on
        task, as in edx2bigquery. Video viewings follow edx-analytics-pipeline's video.py
        `UserVideoViewingTask.reducer` (a play closed by the next pause/stop at its position or seek at its
        old_time, the play after a seek starting at the seek's new_time, from 0.25 s); seconds watched are
        each viewing's advance capped at twice the wall-clock time (the player's top speed; the pipeline
        has no seconds figure). Video ids of every form are reduced to the block's name (blocks.key). Late
        mobile events count in the day of the file they arrived in (their own times show in
        first_event/last_event). Column definitions: the asset's column schema and docs/definitions.md.
        Re-running a day rewrites the same documents (stable ids) and removes rows no longer produced.
        """
        day = context.partition_key
        with mongo.get_database() as db:
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
