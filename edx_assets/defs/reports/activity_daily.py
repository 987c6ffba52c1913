"""activity_daily: per course and day, who was active and doing what (daily partitions)."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import KINDS, daily_table, publish
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx import learner_day as ld
from edx_assets.edx.reports import activity
from edx_assets.edx.reports.csv_out import write_frame


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @daily_table(ctx, deps=["learner_day"], kinds=KINDS, check_specs=[
        checks.spec(ctx, "activity_daily", "events_reconcile_with_eventos",
                    "Sum of events == the day's Eventos documents with a course and a user id.", daily=True)])
    def activity_daily(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                       reports: ReportsResource, s3: S3Resource):
        """`activity_daily.csv` (under reports/daily/{day}/) and the `activity_daily` collection: per course,
        from the day's `learner_day` rows (the events filed under the day with a course and a user id that
        the learner caused): active_users (distinct user ids), events, users_played_video,
        users_attempted_problem (server-side checks), users_posted_forum -- edx-analytics-pipeline's
        user_activity.py labels (`UserActivityTask.get_predicate_labels`: ACTIVE, PLAYED_VIDEO,
        ATTEMPTED_PROBLEM, POSTED_FORUM; enrollment and task events are not activity), counted per day where
        its `CourseActivityPartitionTask` counts per week. docs/definitions.md.
        """
        day = context.partition_key
        with mongo.get_database(secondary_ok=True) as db:
            table = activity.activity_frame(db, day)  # one row per course
            db.activity_daily.delete_many({"day": day})
            if table.height:
                db.activity_daily.insert_many([{"_id": f"{day}:{r['course_id']}", **r}  # stable ids
                                               for r in table.iter_rows(named=True)])
            expected = ld.eventos_events(db, config.events_collection, day)
        result = write_frame(paths.day_folder(workspace, day) / "activity_daily.csv", table,
                             activity.ACTIVITY_COLUMNS)
        yield dg.MaterializeResult(metadata=publish(result, reports, s3, paths.daily_partition(day), table="activity_daily"))
        frame = checks.read_back(result.path)
        written = int(frame.get_column("events").cast(pl.Int64).sum()) if frame.height else 0
        yield checks.equal("events_reconcile_with_eventos", written, expected, what="events")

    return dg.Definitions(assets=[activity_daily])
