"""learners_master: the master file, one row per learner per course."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import (
    courses_for,
    enrollment_documents,
    publish,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import frames, locations, master
from edx_assets.edx.reports.csv_out import write_frame


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "learner_locations_report"], check_specs=[
        checks.spec(ctx, "learners_master", "one_row_per_enrollment",
                    "Rows == enrollment documents, and no (course_id, user_id) twice.")])
    def learners_master(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                        reports: ReportsResource, s3: S3Resource):
        """The master file (the old MASTERFILE_<date>_.csv): one row per enrollment, every course.

        Columns: course_id, course_name, user_id, username, name, email (per EDX_REPORTS_PII), gender,
        year_of_birth, level_of_education, country (profile), ip_country (registration IP's country, from the
        `learner_locations` collection of learner_locations_report), enrollment_date, mode, is_active, progress,
        courseware_records, grade, certificate_status, certificate_mode, ip_country_modal (the most frequent
        IP's country), then (added) the course roles: roles, role_instructor, role_staff, role_beta_tester,
        role_forum_moderator, is_course_team (person_course defines them). Written as `learners_master_<week>.csv`.
        """
        week = context.partition_key
        policy = reports.policy()
        with mongo.get_database(secondary_ok=True) as db:
            courses = courses_for(db, reports)
            located = frames.locations(db, locations.COLLECTION)
            table = pl.concat([master.master_frame(db, c, located).select(master.COLUMNS) for c in courses],
                              how="vertical_relaxed")
            result = write_frame(paths.report_csv(workspace, week, f"learners_master_{week}"),
                                 policy.apply_frame(table), policy.columns(master.COLUMNS))
            expected = enrollment_documents(db, courses)
        yield dg.MaterializeResult(metadata=publish(result, reports, s3, week, table="learners_master"))
        yield checks.one_row_per_enrollment(result.path, expected)

    return dg.Definitions(assets=[learners_master])
