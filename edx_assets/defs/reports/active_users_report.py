"""active_users_report: active learners with their progress, for all courses and one file per course."""

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
from edx_assets.edx.reports import active_users
from edx_assets.edx.reports.csv_out import write_frame

JOINS_ENROLLMENTS = "rows_join_enrollments"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(
        ctx,
        deps=["course_collections", "learner_totals"],
        recent_learner_days=True,
        check_specs=[dg.AssetCheckSpec(JOINS_ENROLLMENTS, asset="active_users_report", partitions_def=ctx.weekly,
                                       description="Every row of active_users.csv is an enrollment of its course.")],
    )
    def active_users_report(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                            reports: ReportsResource, s3: S3Resource):
        """Active learners (enrolled, not course team, with courseware records) with their progress in each course.

        Columns: course_id, course_name, user_id, username, name, email (per EDX_REPORTS_PII), enrollment_date,
        mode, progress (share of the course's leaf blocks visited), units_visited, units_total,
        courseware_records (the old "Repetitions"), grade, certificate_status, first_event, last_event,
        events_last_7_days, events_last_30_days (the `learner_day` rows of the days before the week's Sunday:
        the events filed under those days, late mobile events in the day they arrived), then (added) roles,
        role_instructor, role_staff, role_beta_tester, role_forum_moderator. The course team (edX staff, any
        course access role, forum moderators: `<course>.roles`) is left out, as edX staff were before.
        Files: `active_users.csv` (all courses) and `<prefix>_active_users.csv` per course.
        """
        week = context.partition_key
        policy = reports.policy()
        columns = policy.columns(active_users.COLUMNS)
        until = week_sunday(week)
        folder = paths.week_folder(workspace, week)
        per_course, tables = {}, []
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)
            for course in courses:
                table = policy.apply_frame(active_users.active_users_frame(db, course, until))
                per_course[course] = write_frame(folder / f"{course.prefix}_active_users.csv", table, columns)
                tables.append(table.select(columns))
            everything = write_frame(paths.report_csv(workspace, week, "active_users"), pl.concat(tables, how="vertical_relaxed"), columns)
            unmatched = _rows_without_enrollment(db, everything.path, {c.course_id: c for c in courses})
            for result in per_course.values():
                publish(result, reports, s3, week, table="active_users")
        yield dg.MaterializeResult(metadata={
            **publish(everything, reports, s3, week, table="active_users"),
            "rows_per_course": dg.MetadataValue.json({c.prefix: r.rows for c, r in per_course.items()}),
            "pii": policy.mode,
        })
        yield dg.AssetCheckResult(check_name=JOINS_ENROLLMENTS, passed=unmatched == 0,
                                  metadata={"rows_without_enrollment": unmatched})

    return dg.Definitions(assets=[active_users_report])


def _rows_without_enrollment(db, path, courses) -> int:
    unmatched = 0
    batch: dict[str, set[int]] = {}
    for course_id, users in checks.read_back(path).group_by("course_id"):
        batch[course_id[0]] = {int(u) for u in users.get_column("user_id")}
    for course_id, users in batch.items():
        course = courses.get(course_id)
        if course is None:
            unmatched += len(users)
            continue
        found = len(db[course.collection("enrollments")].distinct("user_id", {"user_id": {"$in": sorted(users)}}))
        unmatched += len(users) - found
    return unmatched
