"""enrollment_by_demographics_daily: enrollments per course and day by gender, birth-year band, level of
education and mode (edx-analytics-pipeline's course_enrollment_{gender,birth_year,education_level,mode}_daily)."""

from __future__ import annotations

from datetime import date

import polars as pl
from pymongo.database import Database

from edx_assets.edx.reports import frames
from edx_assets.edx.reports.courses import ReportCourse

COLUMNS = ["course_id", "date", "dimension", "value", "enrollments", "cumulative_enrollments", "cumulative_active"]
DIMENSIONS = ["gender", "birth_year_band", "level_of_education", "mode"]
# edx-analytics-pipeline's mapping of edX's education codes (auth_userprofile.level_of_education).
EDUCATION = {"p": "doctorate", "p_se": "doctorate", "p_oth": "doctorate", "m": "masters", "b": "bachelors",
             "a": "associates", "hs": "secondary", "jhs": "junior_secondary", "el": "primary", "none": "none",
             "other": "other"}
GENDER = {"m": "male", "f": "female", "o": "other"}


def values(db: Database, course: ReportCourse, team: pl.Series | None, until: date) -> pl.DataFrame:
    """One row per enrollment created before `until` (the course team left out unless `team` is None):
    its day, is_active and the four dimension values (`unknown` where the profile says nothing)."""
    enrollments = frames.read(db, course.collection("enrollments"), frames.ENROLLMENTS)
    if team is not None:
        enrollments = enrollments.filter(~pl.col("user_id").is_in(team.implode()))
    profiles = frames.first_per(frames.read(db, course.collection("demographics"), frames.PROFILES), "user_id")
    year = pl.col("year_of_birth")
    return enrollments.filter(pl.col("created") < pl.lit(until)).join(profiles, on="user_id", how="left").select(
        pl.col("created").dt.date().alias("date"), pl.col("is_active").fill_null(0),
        pl.col("gender").replace_strict(GENDER, default="unknown"),
        pl.when(year.is_between(1900, until.year)).then(pl.format("{}s", (year // 10 * 10).cast(pl.String)))
        .otherwise(pl.lit("unknown")).alias("birth_year_band"),
        pl.col("level_of_education").replace_strict(EDUCATION, default="unknown"),
        pl.col("mode").fill_null("unknown"),
    )


def daily(course: ReportCourse, rows: pl.DataFrame) -> pl.DataFrame:
    """Per dimension, value and day with any enrollment in the course: enrollments created that day,
    cumulative enrollments created up to that day, and of those the ones still active in this package.
    Every value of a dimension gets a row on each of those days (0 new), so each series is complete."""
    if rows.height == 0:
        return pl.DataFrame(schema={"course_id": pl.String, "date": pl.Date, "dimension": pl.String, "value": pl.String,
                                    "enrollments": pl.Int64, "cumulative_enrollments": pl.Int64,
                                    "cumulative_active": pl.Int64})
    days = rows.select("date").unique()
    parts = []
    for dimension in DIMENSIONS:
        counted = rows.group_by("date", pl.col(dimension).alias("value")).agg(
            pl.len().cast(pl.Int64).alias("enrollments"), pl.col("is_active").sum().cast(pl.Int64).alias("active"))
        grid = days.join(rows.select(pl.col(dimension).alias("value")).unique(), how="cross")
        series = grid.join(counted, on=["date", "value"], how="left").with_columns(
            pl.col("enrollments").fill_null(0), pl.col("active").fill_null(0)).sort("value", "date").with_columns(
            pl.col("enrollments").cum_sum().over("value").alias("cumulative_enrollments"),
            pl.col("active").cum_sum().over("value").alias("cumulative_active"),
            pl.lit(dimension).alias("dimension"))
        parts.append(series)
    return pl.concat(parts).with_columns(pl.lit(course.course_id).alias("course_id")).sort(
        "dimension", "value", "date").select(COLUMNS)
