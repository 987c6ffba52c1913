"""video_engagement: per course and video, viewers, plays, furthest position, completion."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.assets.common import MONGO_POOL, TRANSIENT_RETRY, WEEKLY_FRESHNESS
from edx_assets.assets.reports.common import (
    EVENTS_OF_PREVIOUS_WEEK,
    GROUP,
    KINDS,
    REPORT_OWNERS,
    courses_for,
    publish,
    reference_time,
)
from edx_assets.edx.reports import engagement
from edx_assets.edx.reports.csv_out import write_csv
from edx_assets.partitions import weekly_partitions
from edx_assets.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.settings import load_settings


@dg.asset(
    partitions_def=weekly_partitions,
    deps=["course_collections", EVENTS_OF_PREVIOUS_WEEK],
    group_name=GROUP,
    kinds=KINDS,
    owners=REPORT_OWNERS,
    freshness_policy=WEEKLY_FRESHNESS,
    retry_policy=TRANSIENT_RETRY,
    pool=MONGO_POOL,
    code_version="1",
)
def video_engagement(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                     reports: ReportsResource, s3: S3Resource) -> dg.MaterializeResult:
    """`video_engagement.csv`: per course and video of the structure (names from it): viewers (learners
    with a play), plays, mean_furthest_position (seconds, over viewers), share_watched_to_end (viewers
    with a stop or complete event). Events up to the week's Sunday.
    """
    week = context.partition_key
    until = reference_time(week)
    events = load_settings().events_collection
    with mongo.get_database() as db:
        courses = courses_for(db, reports)
        rows = (r for c in courses for r in engagement.video_rows(db, events, c, until))
        result = write_csv(workspace.reports_dir(week) / "video_engagement.csv", engagement.VIDEO_COLUMNS, rows)
    return dg.MaterializeResult(metadata=publish(result, reports, s3, week))
