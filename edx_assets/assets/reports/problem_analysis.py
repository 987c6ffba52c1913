"""problem_analysis: per course and problem, attempts, first-attempt success, scores, show-answers."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.assets.reports.common import (
    courses_for,
    publish,
    reference_time,
    weekly_report,
)
from edx_assets.edx.reports import engagement
from edx_assets.edx.reports.csv_out import write_csv
from edx_assets.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.settings import load_settings


@weekly_report(deps=["course_collections"], uses_events=True)
def problem_analysis(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                     reports: ReportsResource, s3: S3Resource) -> dg.MaterializeResult:
    """`problem_analysis.csv`: per course and problem of the structure: learners_attempted,
    attempts_per_learner, share_correct_first_attempt, mean_score (best score / max grade), and
    showanswer_count, from server-side problem_check and showanswer events up to the week's Sunday.
    """
    week = context.partition_key
    until = reference_time(week)
    events = load_settings().events_collection
    with mongo.get_database() as db:
        courses = courses_for(db, reports)
        rows = (r for c in courses for r in engagement.problem_rows(db, events, c, until))
        result = write_csv(workspace.reports_dir(week) / "problem_analysis.csv", engagement.PROBLEM_COLUMNS, rows)
    return dg.MaterializeResult(metadata=publish(result, reports, s3, week))
