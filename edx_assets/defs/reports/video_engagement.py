"""video_engagement: per course and video, viewers, plays, furthest position, completion."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports.common import (
    courses_for,
    publish,
    reference_time,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import engagement
from edx_assets.edx.reports.csv_out import write_csv


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @weekly_report(ctx, deps=["course_collections"], uses_events=True)
    def video_engagement(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                         reports: ReportsResource, s3: S3Resource) -> dg.MaterializeResult:
        """`video_engagement.csv`: per course and video of the structure (names from it), then videos the
        events name but the structure does not (empty name, never dropped): viewers (learners with a
        play), plays, mean_furthest_position (seconds, over viewers whose events carry a position; from an
        exact decimal sum, so re-runs give the same digits), share_watched_to_end (viewers with a stop or
        complete event). Events up to the week's Sunday.
        """
        week = context.partition_key
        until = reference_time(week)
        events = config.events_collection
        with mongo.get_database() as db:
            courses = courses_for(db, reports)
            rows = (r for c in courses for r in engagement.video_rows(db, events, c, until))
            result = write_csv(workspace.reports_dir(week) / "video_engagement.csv", engagement.VIDEO_COLUMNS, rows)
        return dg.MaterializeResult(metadata=publish(result, reports, s3, week))

    return dg.Definitions(assets=[video_engagement])
