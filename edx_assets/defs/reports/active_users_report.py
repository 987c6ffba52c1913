"""active_users_report: active learners with their progress, for all courses and one file per course."""

import csv

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports.common import (
    courses_for,
    publish,
    reference_time,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import active_users
from edx_assets.edx.reports.csv_out import write_csv

JOINS_ENROLLMENTS = "rows_join_enrollments"


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @weekly_report(
        ctx,
        deps=["course_collections"],
        uses_events=True,
        check_specs=[dg.AssetCheckSpec(JOINS_ENROLLMENTS, asset="active_users_report", partitions_def=ctx.weekly,
                                       description="Every row of active_users.csv is an enrollment of its course.")],
    )
    def active_users_report(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                            reports: ReportsResource, s3: S3Resource):
        """Active learners (enrolled, not staff, with courseware records) with their progress in each course.

        Columns: course_id, course_name, user_id, username, name, email (per EDX_REPORTS_PII), enrollment_date,
        mode, progress (share of the course's leaf blocks visited), units_visited, units_total,
        courseware_records (the old "Repetitions"), grade, certificate_status, first_event, last_event,
        events_last_7_days, events_last_30_days (from Eventos, before the week's Sunday).
        Files: `active_users.csv` (all courses) and `<prefix>_active_users.csv` per course.
        """
        week = context.partition_key
        policy = reports.policy()
        columns = policy.columns(active_users.COLUMNS)
        events = config.events_collection
        until = reference_time(week)
        folder = workspace.reports_dir(week)
        per_course = {}
        with mongo.get_database() as db:
            courses = courses_for(db, reports)
            for course in courses:
                rows = (policy.apply(r) for r in active_users.active_user_rows(db, course, events, until))
                per_course[course] = write_csv(folder / f"{course.prefix}_active_users.csv", columns, rows)
            everything = write_csv(folder / "active_users.csv", columns, _concat(per_course.values()))
            unmatched = _rows_without_enrollment(db, everything.path, {c.course_id: c for c in courses})
            for result in per_course.values():
                publish(result, reports, s3, week)
        yield dg.MaterializeResult(metadata={
            **publish(everything, reports, s3, week),
            "rows_per_course": dg.MetadataValue.json({c.prefix: r.rows for c, r in per_course.items()}),
            "pii": policy.mode,
        })
        yield dg.AssetCheckResult(check_name=JOINS_ENROLLMENTS, passed=unmatched == 0,
                                  metadata={"rows_without_enrollment": unmatched})

    return dg.Definitions(assets=[active_users_report])


def _concat(results):
    for result in results:
        with result.path.open(encoding="utf-8", newline="") as handle:
            yield from csv.DictReader(handle)


def _rows_without_enrollment(db, path, courses) -> int:
    unmatched = 0
    with path.open(encoding="utf-8", newline="") as handle:
        batch: dict[str, set[int]] = {}
        for row in csv.DictReader(handle):
            batch.setdefault(row["course_id"], set()).add(int(row["user_id"]))
    for course_id, users in batch.items():
        course = courses.get(course_id)
        if course is None:
            unmatched += len(users)
            continue
        found = len(db[course.collection("enrollments")].distinct("user_id", {"user_id": {"$in": sorted(users)}}))
        unmatched += len(users) - found
    return unmatched
