"""person_course: one row per learner per course (the MIT/Harvard person-course table)."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, permanent_failures
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import (
    courses_for,
    enrollment_documents,
    publish,
    reference_time,
    week_sunday,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import activity, frames, locations, memberships
from edx_assets.edx.reports import person_course as pc
from edx_assets.edx.reports.csv_out import write_frame


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @weekly_report(ctx, deps=["course_collections", "learner_locations_report", "learner_totals"], uses_events=True,
                   check_specs=[
        checks.spec(ctx, "person_course", "one_row_per_enrollment",
                    "Rows == enrollment documents, and no (course_id, user_id) twice."),
        checks.spec(ctx, "person_course", "flags_are_0_or_1",
                    "registered, viewed, explored, certified, completed are 0, 1 or empty (unknown).")])
    def person_course(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                      reports: ReportsResource, s3: S3Resource):
        """`person_course.csv`, one row per enrollment, edx2bigquery's person_course (make_person_course.py:
        `PersonCourse.compute_first_phase` for registered/certified/completed/grade, `compute_second_phase`
        and `load_nchapters` for viewed/explored/nchapters, `load_pc_day_totals` for the activity totals;
        each difference argued in docs/definitions.md). Columns: course_id, user_id, username (per
        EDX_REPORTS_PII), registered (1), viewed (any courseware record), explored (visited at least half the
        chapters), certified (a `downloadable` certificate), completed (grade >= the course's pass mark;
        empty when the course states none, see general_report's `pass_mark_known`), mode,
        grade, first_event, last_event, nevents, ndays_act (days with events), nplay_video (play_video and
        edx.video.played), nproblem_check (server-side checks), nforum_posts (threads, responses, comments
        created), nchapters (chapters visited), gender, year_of_birth, level_of_education, country (profile),
        ip_country (registration IP's country) and ip_country_modal (most frequent IP's country, edx2bigquery's
        modal_ip rule), both from the `learner_locations` collection.

        The activity columns are the week's `learner_totals`: the `learner_day` rows of the days before the
        week's Sunday summed per learner and course (edx2bigquery's person_course_day totals; definitions on
        learner_day):
        first_event, last_event, nevents, ndays_act (days with events, by the day the events were filed
        under), nplay_video, nproblem_check (server-side checks), nforum_posts (threads + responses +
        comments created), and, added: sessions, time_on_task_5 and time_on_task_30 (seconds),
        video_seconds_watched, nvideos and nproblems (distinct over the course's life), nshow_answer,
        nforum_threads, nforum_responses, nforum_comments. No raw event and no old learner day is read.

        Added, the learner's course roles (edx2bigquery's `roles` table, from `<course>.roles`): roles
        (`;`-joined, forum Student left out), role_instructor, role_staff, role_beta_tester,
        role_forum_moderator (Administrator, Moderator, Community TA, Group Moderator) and is_course_team (edX
        staff or any of those roles): every enrollment stays in this file; the aggregates leave the team out.

        Grades (reports/grades.py): grade is the course grade, the persistent grade of
        grades_persistentcoursegrade where the package has one for the learner (every learner whose grade edX
        computed, certificate or not), else the certificate's (edx2bigquery's person_course grade);
        grade_source says which; completed is edX's pass (passed_timestamp set), else the certificate grade
        against the pass mark; passed_at (added) when edX recorded the pass. Added too: cohort
        (course_groups_cohortmembership), partition_groups (A/B tests, user_api_usercoursetag, named from the
        course's user_partitions), team (teams_membership), verified_upgrade_at (first enrollment mode change
        into verified in Eventos before the week's Sunday) and email_opt_in (the org's opt-in file; not written
        under EDX_REPORTS_PII=drop). A table the package did not carry leaves its column empty (unknown).
        """
        week = context.partition_key
        policy = reports.policy()
        until = week_sunday(week)
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)
            located = frames.locations(db, locations.COLLECTION)
            upgrades = memberships.verified_upgrades(
                activity.enrollment_events(db, config.events_collection, reference_time(week)))
            table = pl.concat([pc.person_course_frame(db, c, until, located, upgrades).select(pc.COLUMNS)
                               for c in courses], how="vertical_relaxed")
            result = write_frame(paths.report_csv(workspace, week, "person_course"), policy.apply_frame(table),
                                 policy.columns(pc.COLUMNS))
            expected = enrollment_documents(db, courses)
        yield dg.MaterializeResult(metadata=publish(result, reports, s3, week, table="person_course"))
        yield checks.one_row_per_enrollment(result.path, expected)
        yield checks.shares_within_unit("flags_are_0_or_1", checks.read_back(result.path), list(pc.FLAGS))

    return dg.Definitions(assets=[person_course])
