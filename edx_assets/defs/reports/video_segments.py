"""video_segments: the video timeline -- per video and 5-second segment, viewers and views."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, permanent_failures
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import (
    courses_for,
    per_course_table,
    publish_frame,
    week_sunday,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import engagement
from edx_assets.edx.reports.learners import learners_totals

KEY = ["course_id", "video_id", "segment"]


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "learner_totals"], kinds={"mongodb", "polars", "csv"}, check_specs=[
        checks.spec(ctx, "video_segments", "one_row_per_segment_and_viewers_within_views",
                    "No (course_id, video_id, segment) twice; no segment has more viewers than views.")])
    def video_segments(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                       reports: ReportsResource, s3: S3Resource):
        """`video_segments.csv`, edx-analytics-pipeline's video timeline (Insights' drop-off chart): per course,
        video and 5-second segment (`VIDEO_VIEWING_SECONDS_PER_SEGMENT`): course_id, video_id (block id, or
        the short id the events use when the structure lacks it), video_name, segment (0, 1, ...),
        start_seconds (segment x 5), viewers (distinct learners with a viewing covering the segment) and views
        (viewings covering it). Viewings follow the pipeline's video.py `UserVideoViewingTask.reducer`
        (learner_day's `_segments`): a play closed by the next pause or stop (its position) or seek (its
        old_time) of the same video, the play after a seek starting at the seek's new_time, from 0.25 s, with
        no cap on its length; it covers segments floor(start / 5) .. floor(end / 5). Videos are matched to
        the structure whatever their id form (blocks.key). Unlike the pipeline, segments past the video's
        inferred end are kept (nothing watched is dropped). Over every learner day before the week's Sunday
        (learner_totals' video_viewings); the course team left out unless EDX_REPORTS_INCLUDE_COURSE_TEAM.
        """
        week = context.partition_key
        until = week_sunday(week)
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)
            table = per_course_table(courses, lambda c: engagement.segment_frame(
                db, c, learners_totals(db, c, until, reports.team(db, c), ["video_viewings"])),
                engagement.SEGMENT_COLUMNS)
        result, materialized = publish_frame(week, workspace, reports, s3, "video_segments", table,
                                             engagement.SEGMENT_COLUMNS,
                                             {"videos": table.select("course_id", "video_id").unique().height})
        yield materialized
        frame = checks.read_back(result.path)
        unique = checks.unique_key("one_row_per_segment_and_viewers_within_views", frame, KEY)
        over = frame.filter(pl.col("viewers").cast(pl.Int64) > pl.col("views").cast(pl.Int64)).height
        yield dg.AssetCheckResult(check_name=unique.check_name, passed=unique.passed and over == 0,
                                  metadata={**unique.metadata, "segments_with_more_viewers_than_views": over})

    return dg.Definitions(assets=[video_segments])
