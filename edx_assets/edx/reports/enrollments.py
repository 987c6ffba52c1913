"""`enrollments_report.csv`: every enrollment, learners without demographics included."""

from __future__ import annotations

import polars as pl
from pymongo.database import Database

from edx_assets.edx.reports import frames, roles
from edx_assets.edx.reports.courses import ReportCourse

COLUMNS = ["mooc_name", "mooc_id", "registration_date", "gender", "country",
           "user_id", "mode", "is_active",
           *roles.COLUMNS]  # added: course roles


def enrollment_report_frame(db: Database, course: ReportCourse) -> pl.DataFrame:
    """The course's enrollments in registration order, with the profile's gender and country (empty when
    the learner has no profile or left them blank)."""
    profiles = frames.first_per(frames.read(db, course.collection("demographics"), frames.PROFILES), "user_id")
    users = frames.first_per(frames.read(db, course.collection("users"), frames.USERS), "id").select(
        pl.col("id").alias("user_id"), (pl.col("is_staff").fill_null(0) != 0).alias("is_staff"))
    return (frames.read(db, course.collection("enrollments"), frames.ENROLLMENTS)
            .join(profiles.select("user_id", "gender", "country"), on="user_id", how="left")
            .join(users, on="user_id", how="left").pipe(roles.with_roles, roles.roles_frame(db, course))
            .sort(["created", "id"], nulls_last=False)
            .with_columns(frames.blank_to_null("gender", "country"))
            .select(pl.lit(course.name, dtype=pl.String).alias("mooc_name"), pl.lit(course.course_id).alias("mooc_id"),
                    pl.col("created").alias("registration_date"), "gender", "country", "user_id", "mode",
                    "is_active", *roles.COLUMNS))


def enrollment_report_table(db: Database, courses: list[ReportCourse]) -> pl.DataFrame:
    return pl.concat([enrollment_report_frame(db, c) for c in courses], how="vertical_relaxed")
