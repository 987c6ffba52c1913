"""video_engagement: per course and video, viewers, plays, furthest position, completion."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, permanent_failures
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import (
    courses_for,
    publish,
    week_sunday,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import engagement
from edx_assets.edx.reports.csv_out import write_csv
from edx_assets.edx.reports.learners import learners_totals


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "learner_totals"], check_specs=[
        checks.spec(ctx, "video_engagement", "shares_within_0_1_and_viewers_within_plays",
                    "share_watched_to_end and completion_share lie in [0, 1], and no video has more viewers than plays.")])
    def video_engagement(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                         reports: ReportsResource, s3: S3Resource):
        """`video_engagement.csv`: per course and video of the structure (names from it), then videos the
        events name but the structure does not (empty name, never dropped): viewers (learners with a
        play), plays, mean_furthest_position (seconds, over viewers whose events carry a position; from an
        exact decimal sum, so re-runs give the same digits), share_watched_to_end (viewers with a stop or
        complete event). From the week's learner_totals: every learner day before the week's Sunday.

        Videos are matched to the structure on the block's name whatever the id form (`block-v1:`,
        `i4x://`, the old players' `i4x-…-video-…`; blocks.key), so each video has one row.

        Added, on the video's duration: duration (seconds: the median over viewers of what their video
        events' `duration` reported, else a structure `metadata.duration`, else inferred as
        edx-analytics-pipeline's video.py `VideoUsageTask.reducer` does -- (final segment + 1) x 5 - 1 from
        the viewers' drop-off, `get_final_segment` with the shipped dropoff_threshold 0.05; empty when no one
        watched a segment), duration_source (`events`, `structure`, `inferred`), completers (viewers who
        watched at least 95% of the duration -- edx2bigquery's make_video_analysis `videos_watched` rule, applied to seconds watched --
        or whose furthest position reached the last 30 seconds), completion_share (completers / viewers) and
        median_seconds_watched (over viewers; learner_day's play-to-pause segments). Empty completion
        figures mean the duration is unknown, not that nobody finished. The course team (roles) is left out
        unless EDX_REPORTS_INCLUDE_COURSE_TEAM.
        """
        week = context.partition_key
        until = week_sunday(week)
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)
            def rows_of(course):
                team = reports.team(db, course)
                return engagement.video_rows(db, course, learners_totals(db, course, until, team, ["video_detail"]),
                                             lambda: learners_totals(db, course, until, team, ["video_viewings"]))

            rows = (r for c in courses for r in rows_of(c))
            result = write_csv(paths.report_csv(workspace, week, "video_engagement"), engagement.VIDEO_COLUMNS, rows)
        frame = checks.read_back(result.path)
        unknown = frame.filter(pl.col("duration").is_null() & (pl.col("viewers").cast(pl.Int64) > 0)).height
        yield dg.MaterializeResult(metadata={**publish(result, reports, s3, week, table="video_engagement"),
                                             "viewed_videos_without_duration": unknown})
        shares = checks.shares_within_unit("shares_within_0_1_and_viewers_within_plays", frame,
                                           ["share_watched_to_end", "completion_share"])
        over = frame.filter(pl.col("viewers").cast(pl.Int64) > pl.col("plays").cast(pl.Int64)).height
        yield dg.AssetCheckResult(check_name=shares.check_name, passed=shares.passed and over == 0,
                                  metadata={**shares.metadata, "videos_with_more_viewers_than_plays": over})

    return dg.Definitions(assets=[video_engagement])
