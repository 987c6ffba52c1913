"""problem_analysis: per course and problem, attempts, first-attempt success, scores, show-answers."""

import dagster as dg
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
        checks.spec(ctx, "problem_analysis", "shares_within_0_1",
                    "share_correct_first_attempt and mean_score lie in [0, 1].")])
    def problem_analysis(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                         reports: ReportsResource, s3: S3Resource):
        """`problem_analysis.csv`: per course and problem of the structure (and problems the events name
        but the structure does not, with an empty name): learners_attempted, attempts_per_learner,
        share_correct_first_attempt, mean_score (mean over learners of their best score / max grade, from an
        exact decimal sum), and showanswer_count, from server-side problem_check and showanswer events of
        every learner day before the week's Sunday (the week's learner_totals). The course team (roles) is
        left out unless EDX_REPORTS_INCLUDE_COURSE_TEAM.
        """
        week = context.partition_key
        until = week_sunday(week)
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)
            rows = (r for c in courses for r in engagement.problem_rows(
                db, c, learners_totals(db, c, until, reports.team(db, c), ["problem_detail"])))
            result = write_csv(paths.report_csv(workspace, week, "problem_analysis"), engagement.PROBLEM_COLUMNS, rows)
        yield dg.MaterializeResult(metadata=publish(result, reports, s3, week, table="problem_analysis"))
        yield checks.shares_within_unit("shares_within_0_1", checks.read_back(result.path),
                                        ["share_correct_first_attempt", "mean_score"])

    return dg.Definitions(assets=[problem_analysis])
