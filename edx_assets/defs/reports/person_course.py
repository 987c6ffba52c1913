"""person_course: one row per learner per course (the MIT/Harvard person-course table)."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import (
    courses_for,
    enrollment_documents,
    publish,
    reference_time,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import person_course as pc
from edx_assets.edx.reports.csv_out import write_csv


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @weekly_report(ctx, deps=["course_collections", "learner_locations_report"], uses_events=True, check_specs=[
        checks.spec(ctx, "person_course", "one_row_per_enrollment",
                    "Rows == enrollment documents, and no (course_id, user_id) twice."),
        checks.spec(ctx, "person_course", "flags_are_0_or_1",
                    "registered, viewed, explored, certified, completed are 0, 1 or empty (unknown).")])
    def person_course(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                      reports: ReportsResource, s3: S3Resource):
        """`person_course.csv`, one row per enrollment. Columns: course_id, user_id, username (per
        EDX_REPORTS_PII), registered (1), viewed (any courseware record), explored (visited at least half the
        chapters), certified (a `downloadable` certificate), completed (grade >= the course's pass mark;
        empty when the course states none, see general_report's `pass_mark_known`), mode,
        grade, first_event, last_event, nevents, ndays_act (days with events), nplay_video (play_video and
        edx.video.played), nproblem_check (server-side checks), nforum_posts (threads, responses, comments
        created), nchapters (chapters visited), gender, year_of_birth, level_of_education, country (profile),
        ip_country (registration IP's country) and ip_country_modal (most frequent IP's country, edx2bigquery's
        modal_ip rule), both from the `learner_locations` collection. Events are counted up to the week's Sunday.
        """
        week = context.partition_key
        policy = reports.policy()
        until = reference_time(week)
        events = config.events_collection
        with mongo.get_database() as db:
            courses = courses_for(db, reports)
            rows = (policy.apply(r) for c in courses for r in pc.person_course_rows(db, events, c, until))
            result = write_csv(workspace.reports_dir(week) / "person_course.csv", policy.columns(pc.COLUMNS), rows)
            expected = enrollment_documents(db, courses)
        yield dg.MaterializeResult(metadata=publish(result, reports, s3, week))
        yield checks.one_row_per_enrollment(result.path, expected)
        yield checks.shares_within_unit("flags_are_0_or_1", checks.read_back(result.path), list(pc.FLAGS))

    return dg.Definitions(assets=[person_course])
