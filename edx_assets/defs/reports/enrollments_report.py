"""enrollments_report: every enrollment with the learner's gender and country."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import courses_for, enrollment_documents, publish, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import enrollments
from edx_assets.edx.reports.csv_out import write_frame


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections"], check_specs=[
        checks.spec(ctx, "enrollments_report", "one_row_per_enrollment",
                    "Rows of enrollments_report.csv == enrollment documents of the reported courses.")])
    def enrollments_report(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                           reports: ReportsResource, s3: S3Resource):
        """`enrollments_report.csv`: one row per enrollment of every course:
        `mooc_name,mooc_id,registration_date,gender,country` (the old columns) then user_id, mode, is_active,
        then (added) the course roles: roles, role_instructor, role_staff, role_beta_tester,
        role_forum_moderator, is_course_team (person_course defines them). Learners without a demographics row
        are included with empty gender and country.
        """
        week = context.partition_key
        with mongo.get_database(secondary_ok=True) as db:
            courses = courses_for(db, reports)
            result = write_frame(paths.report_csv(workspace, week, "enrollments_report"),
                                 enrollments.enrollment_report_table(db, courses), enrollments.COLUMNS)
            expected = enrollment_documents(db, courses)
        yield dg.MaterializeResult(metadata=publish(result, reports, s3, week, table="enrollments_report"))
        yield checks.equal("one_row_per_enrollment", checks.read_back(result.path).height, expected)

    return dg.Definitions(assets=[enrollments_report])
