"""retention_by_cohort: of the learners who enrolled in a week, the share active k weeks later, by mode."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, permanent_failures
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import (
    courses_for,
    per_course_table,
    publish_frame,
    week_sunday,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx import eventos_reads
from edx_assets.edx.reports import retention
from edx_assets.edx.reports.learners import week_totals


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "learner_totals"], uses_events=True,
                   kinds={"mongodb", "polars", "csv"}, check_specs=[
        checks.spec(ctx, "retention_by_cohort", "cohorts_reconcile_and_shares_within_0_1",
                    "Per course, the `all` cohorts' learners add up to the enrollments before the Sunday (course "
                    "team left out unless configured), each mode's cohorts to the same total, and share_active "
                    "lies in [0, 1].")])
    def retention_by_cohort(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                            reports: ReportsResource, s3: S3Resource):
        """`retention_by_cohort.csv` (none of the peer tools publishes it; the definition is ours): learners
        grouped by the week they enrolled (cohort_week: the Sunday that starts it; weeks run Sunday to
        Saturday like the weekly partitions), per course and mode (`all` too): course_id, mode, cohort_week,
        week_number (k = 0 is the enrollment week), learners (the cohort's size), active_learners (with any
        learner day in the course in week k; empty for a week with no day of events loaded: unknown, not
        0), share_active and days_covered (days of week k with events loaded, 0-7: below 7 the week is only
        partly known; from Eventos' load records). Weeks up to the one before the Sunday. From
        the package's enrollments and learner_totals' active_weeks (so the cost does not grow with history
        beyond the table itself); the course team left out unless EDX_REPORTS_INCLUDE_COURSE_TEAM.
        """
        week = context.partition_key
        until = week_sunday(week)
        enrolled = {}
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)
            days = eventos_reads.loaded_days(db, ctx.config.events_collection, until.isoformat())

            def course_rows(course):
                team = reports.team(db, course)
                table = retention.retention(db, course, week_totals(db, course, until, ["active_weeks"]), team, until,
                                            days)
                enrolled[course.course_id] = retention.cohort_learners(db, course, team, until)
                return table

            table = per_course_table(courses, course_rows, retention.COLUMNS)
        result, materialized = publish_frame(week, workspace, reports, s3, "retention_by_cohort", table,
                                             retention.COLUMNS)
        yield materialized
        frame = checks.read_back(result.path).with_columns(pl.col("learners").cast(pl.Int64),
                                                           pl.col("week_number").cast(pl.Int64))
        sizes = frame.filter(pl.col("week_number") == 0).group_by("course_id", "mode").agg(pl.col("learners").sum())
        off = sizes.filter(pl.col("learners") != pl.col("course_id").replace_strict(enrolled, default=-1,
                                                                                     return_dtype=pl.Int64))
        by_mode = sizes.filter(pl.col("mode") != "all").group_by("course_id").agg(pl.col("learners").sum())
        mode_off = by_mode.filter(pl.col("learners") != pl.col("course_id").replace_strict(enrolled, default=-1,
                                                                                           return_dtype=pl.Int64))
        shares = checks.shares_within_unit("cohorts_reconcile_and_shares_within_0_1", frame, ["share_active"])
        off_all = off.filter(pl.col("mode") == "all")
        yield dg.AssetCheckResult(check_name=shares.check_name,
                                  passed=shares.passed and off_all.height == 0 and mode_off.height == 0,
                                  metadata={**shares.metadata, "cohort_learners": dg.MetadataValue.json(enrolled),
                                            "courses_off": dg.MetadataValue.json(off_all.to_dicts()[:10]),
                                            "modes_off": dg.MetadataValue.json(mode_off.to_dicts()[:10])})

    return dg.Definitions(assets=[retention_by_cohort])
