"""engagement_segments: each learner's week -- highly engaged, struggling, disengaging or inactive."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, permanent_failures
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import (
    courses_for,
    per_course_table,
    publish_frame,
    the_week_before,
    week_sunday,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import risk, roles
from edx_assets.edx.reports.learners import enrollment_frame


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", dg.AssetDep("learner_day", partition_mapping=the_week_before(2))],
                   kinds={"mongodb", "polars", "csv"}, check_specs=[
        checks.spec(ctx, "engagement_segments", "one_row_per_enrolled_learner",
                    "Rows == enrolled learners (course team left out unless configured), no (course_id, user_id) twice.")])
    def engagement_segments(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                            reports: ReportsResource, s3: S3Resource):
        """`engagement_segments.csv`, edx-analytics-pipeline's module engagement (Insights' learner segments),
        one row per enrolled learner (course team left out unless EDX_REPORTS_INCLUDE_COURSE_TEAM) for the
        week before the Sunday: course_id, week (the Sunday), user_id, username (per EDX_REPORTS_PII),
        days_active (days with events the learner caused), problem_attempts (server-side checks),
        problems_attempted, problems_completed (full score), problem_attempts_per_completed (empty with none
        completed), videos_viewed (distinct videos played), discussion_contributions (threads, responses,
        comments), active_previous_week (0/1) and segments (`;`-joined): `highly_engaged`, `struggling`,
        `disengaging`, `inactive`, defined as module_engagement.py defines them, ranges included (high only
        where the course's 15th and 85th percentiles differ): see `risk.segments` for the functions followed
        and the two deliberate differences. The pipeline computes them daily over a 7-day window, this
        weekly. Reads only the learner days of the two weeks before the Sunday.
        """
        week = context.partition_key
        until = week_sunday(week)
        policy = reports.policy()
        expected = 0
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)
            learners = {c.course_id: enrollment_frame(db, c, None) for c in courses}
            expected = sum(roles.counted(f, reports.include_course_team).get_column("user_id").n_unique()
                           for f in learners.values())
            table = per_course_table(courses, lambda c: risk.segments(
                c, learners[c.course_id], risk.week_metrics(db, c, until), week, reports.include_course_team),
                risk.SEGMENT_COLUMNS)
        counts = table.get_column("segments").fill_null("").str.split(";").explode().value_counts() if table.height else None
        result, materialized = publish_frame(week, workspace, reports, s3, "engagement_segments",
                                             policy.apply_frame(table), policy.columns(risk.SEGMENT_COLUMNS), {
                                                 "by_segment": dg.MetadataValue.json(
                                                     {r["segments"] or "(none)": r["count"] for r in counts.to_dicts()}
                                                     if counts is not None else {})})
        yield materialized
        frame = checks.read_back(result.path)
        unique = checks.unique_key("one_row_per_enrolled_learner", frame, ["course_id", "user_id"])
        yield dg.AssetCheckResult(check_name=unique.check_name, passed=unique.passed and frame.height == expected,
                                  metadata={**unique.metadata, "csv_rows": frame.height, "enrolled_learners": expected})

    return dg.Definitions(assets=[engagement_segments])
