"""activity_daily: per course and day, who was active and doing what (daily partitions)."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import MONGO_POOL, TRANSIENT_RETRY, Build
from edx_assets.defs.reports.common import GROUP, KINDS, REPORT_OWNERS, publish
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import activity
from edx_assets.edx.reports.csv_out import write_csv


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @dg.asset(
        partitions_def=ctx.daily,
        deps=["eventos"],
        group_name=GROUP,
        kinds=KINDS,
        owners=REPORT_OWNERS,
        freshness_policy=ctx.events_freshness,
        retry_policy=TRANSIENT_RETRY,
        pool=MONGO_POOL,
        code_version="1",
    )
    def activity_daily(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                       reports: ReportsResource, s3: S3Resource) -> dg.MaterializeResult:
        """`activity_daily.csv` (under reports/daily/{day}/) and the `activity_daily` collection: per course,
        for the events filed under the day: active_users (distinct usernames), events, users_played_video,
        users_attempted_problem (server-side checks), users_posted_forum.
        """
        day = context.partition_key
        with mongo.get_database() as db:
            rows = list(activity.activity_rows(db, config.events_collection, day))  # one per course
            db.activity_daily.delete_many({"day": day})
            if rows:
                db.activity_daily.insert_many([{"_id": f"{day}:{r['course_id']}", **r} for r in rows])  # stable ids
        result = write_csv(workspace.reports_dir(f"daily/{day}") / "activity_daily.csv", activity.ACTIVITY_COLUMNS, rows)
        return dg.MaterializeResult(metadata=publish(result, reports, s3, f"daily/{day}"))

    return dg.Definitions(assets=[activity_daily])
