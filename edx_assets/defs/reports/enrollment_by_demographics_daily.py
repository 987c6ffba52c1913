"""enrollment_by_demographics_daily: enrollments per course and day by gender, birth-year band, education, mode."""

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
from edx_assets.edx.reports import demographics


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections"], kinds={"mongodb", "polars", "csv"}, check_specs=[
        checks.spec(ctx, "enrollment_by_demographics_daily", "each_dimension_adds_up_to_the_enrollments",
                    "Per course, day and dimension, the values' cumulative_enrollments add up to the same total "
                    "for every dimension, and on the last day to the course's enrollments (course team left out).")])
    def enrollment_by_demographics_daily(context: dg.AssetExecutionContext, mongo: MongoResource,
                                         workspace: WorkspaceResource, reports: ReportsResource, s3: S3Resource):
        """`enrollment_by_demographics_daily.csv`, edx-analytics-pipeline's course_enrollment_gender_daily,
        _birth_year_daily, _education_level_daily and _mode_daily in one long table: course_id, date,
        dimension (`gender`, `birth_year_band`, `level_of_education`, `mode`), value, enrollments (created
        that day), cumulative_enrollments (created up to that day) and cumulative_active (of those, still
        enrolled in this week's package). Values as the pipeline maps them: gender male/female/other,
        education doctorate/masters/bachelors/associates/secondary/junior_secondary/primary/none/other, and
        `unknown` where the profile says nothing (never dropped); birth_year_band is the decade of birth
        (`1980s`). One row per value on every day the course had an enrollment. From the package's
        enrollments and profiles (creation dates), not from the events: the pipeline counts learners
        enrolled at each day's end from activation/deactivation events, which `enrollment_daily` already
        does by mode; here a past unenrollment shows only in cumulative_active. The course team left out
        unless EDX_REPORTS_INCLUDE_COURSE_TEAM.
        """
        week = context.partition_key
        until = week_sunday(week)
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)
            counted = {c.course_id: demographics.values(db, c, reports.team(db, c), until) for c in courses}
            table = per_course_table(courses, lambda c: demographics.daily(c, counted[c.course_id]), demographics.COLUMNS)
        result, materialized = publish_frame(week, workspace, reports, s3, "enrollment_by_demographics_daily", table,
                                             demographics.COLUMNS)
        yield materialized
        frame = checks.read_back(result.path).with_columns(pl.col("cumulative_enrollments").cast(pl.Int64))
        per_dimension = frame.group_by("course_id", "date", "dimension").agg(pl.col("cumulative_enrollments").sum())
        spread = per_dimension.group_by("course_id", "date").agg(pl.col("cumulative_enrollments").n_unique().alias("n"))
        last = per_dimension.sort("date").group_by("course_id", "dimension").agg(pl.col("cumulative_enrollments").last())
        expected = {cid: rows.height for cid, rows in counted.items()}
        wrong = last.filter(pl.col("cumulative_enrollments") != pl.col("course_id").replace_strict(
            expected, default=-1, return_dtype=pl.Int64))
        yield dg.AssetCheckResult(
            check_name="each_dimension_adds_up_to_the_enrollments",
            passed=spread.filter(pl.col("n") > 1).height == 0 and wrong.height == 0,
            metadata={"days_where_dimensions_disagree": spread.filter(pl.col("n") > 1).height,
                      "courses_off": dg.MetadataValue.json(wrong.to_dicts()[:10]),
                      "enrollments": dg.MetadataValue.json(expected)})

    return dg.Definitions(assets=[enrollment_by_demographics_daily])
