"""One row per enrollment with everything the learner reports join: user, profile, IP location, certificate
and courseware progress. Each course collection is read once into polars and joined there (no `$lookup`);
the activity columns come from `learner_totals` and `learner_day`, never from the raw events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import polars as pl
import pyarrow as pa
from pymongo.database import Database

from edx_assets.edx import learner_day as ld
from edx_assets.edx import learner_totals as lt
from edx_assets.edx.reports import frames, grades, roles
from edx_assets.edx.reports.courses import ReportCourse

CONTAINERS = {"course", "chapter", "sequential", "vertical"}
ENROLLMENT_COLUMNS = [
    "course_id", "course_name", "user_id", "username", "first_name", "last_name", "name", "email", "is_staff",
    "has_user", "enrollment_date", "mode", "is_active", "gender", "year_of_birth", "level_of_education",
    "country", "ip_country", "ip_country_modal", "courseware_records", "units_visited", "units_total",
    "progress", "grade", "certificate_status", "certificate_mode", *roles.COLUMNS,
    "grade_source", "passed", "passed_at",  # the course grade's source (reports/grades.py)
]


def course_units(structure: pl.DataFrame) -> pl.Series:
    """Leaf blocks of the course structure (videos, problems, html...): what progress counts."""
    return structure.filter(~pl.col("category").is_in(sorted(CONTAINERS))).get_column("_id")


def courseware_by_user(courseware: pl.DataFrame, units: pl.Series) -> pl.DataFrame:
    return courseware.group_by("student_id").agg(
        pl.len().alias("courseware_records"),
        pl.col("module_id").filter(pl.col("module_id").is_in(units.implode())).n_unique().alias("units_visited"),
    ).rename({"student_id": "user_id"})


def enrollment_frame(db: Database, course: ReportCourse, locations: pl.DataFrame | None,
                     structure: pl.DataFrame | None = None, courseware: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every enrollment of the course joined to the learner's user, profile, IP location (None: the IP
    columns are empty and `learner_locations` is not read), course grade (grades.course_grades: the
    persistent grade, else the latest certificate's) and certificate, and courseware records;
    ordered by user id, with the learner's course roles (roles.py). Columns: ENROLLMENT_COLUMNS."""
    structure = frames.structure(db, course) if structure is None else structure
    courseware = frames.read(db, course.collection("courseware"), frames.COURSEWARE) if courseware is None else courseware
    units = course_units(structure)
    enrollments = frames.read(db, course.collection("enrollments"), frames.ENROLLMENTS)
    users = frames.first_per(frames.read(db, course.collection("users"), frames.USERS), "id").select(
        pl.col("id").alias("user_id"), "username", "first_name", "last_name", "email", "is_staff",
        pl.lit(True).alias("has_user"))
    profiles = frames.first_per(frames.read(db, course.collection("demographics"), frames.PROFILES), "user_id").select(
        "user_id", pl.col("name").alias("profile_name"), "gender", "year_of_birth", "level_of_education", "country")
    graded = grades.course_grades(db, course).select(
        "user_id", "grade", "grade_source", "passed", "passed_at", "certificate_status", "certificate_mode")
    located = locations if locations is not None else pl.DataFrame(
        schema={"user_id": pl.Int64, "ip_country": pl.String, "ip_country_modal": pl.String})
    n_units = units.len()
    joined = (enrollments.join(users, on="user_id", how="left")
              .join(profiles, on="user_id", how="left")
              .join(located, on="user_id", how="left")
              .join(graded, on="user_id", how="left")
              .join(courseware_by_user(courseware, units), on="user_id", how="left"))
    first_last = pl.concat_str([pl.col("first_name"), pl.col("last_name")], separator=" ", ignore_nulls=True)
    return joined.with_columns(frames.blank_to_null("first_name", "last_name", "profile_name", "gender",
                                                    "level_of_education", "country")).with_columns(
        pl.lit(course.course_id).alias("course_id"),
        pl.lit(course.name, dtype=pl.String).alias("course_name"),
        pl.coalesce(pl.col("profile_name"), pl.when(first_last != "").then(first_last)).alias("name"),
        (pl.col("is_staff").fill_null(0) != 0).alias("is_staff"),
        pl.col("has_user").fill_null(False),
        pl.col("created").alias("enrollment_date"),
        pl.col("courseware_records").fill_null(0).cast(pl.Int64),
        pl.col("units_visited").fill_null(0).cast(pl.Int64),
        pl.lit(n_units, dtype=pl.Int64).alias("units_total"),
        (pl.col("units_visited").fill_null(0) / n_units).round(4).alias("progress") if n_units
        else pl.lit(None, dtype=pl.Float64).alias("progress"),
    ).pipe(roles.with_roles, roles.roles_frame(db, course)).sort(["user_id", "id"]).select(ENROLLMENT_COLUMNS)


ACTIVITY_COLUMNS = ["first_event", "last_event", "nevents", "ndays_act", "sessions", "time_on_task_5",
                    "time_on_task_30", "nplay_video", "video_seconds_watched", "nvideos", "nproblem_check",
                    "nproblems", "nshow_answer", "nforum_threads", "nforum_responses", "nforum_comments",
                    "nforum_posts"]
LEARNER_DAY_RECENT = {"user_id": pa.int64(), "day": pa.string(), "nevents": pa.int64()}


class TotalsMissingError(ValueError):
    """The week's learner_totals were never computed: the reports would show activity as zero."""


def week_totals(db: Database, course: ReportCourse, until: date, columns: list[str] | None = None,
                fields: Mapping[str, list[str]] | None = None) -> pl.DataFrame:
    """The course's `learner_totals` of the week whose Sunday is `until` (only `columns` besides the keys,
    when given, and of a detail column in `fields` only those fields); a week never computed is an error
    naming what to materialize (activity would otherwise read as zero)."""
    totals = lt.read_week(db, until, course.course_id, columns, fields)
    if totals is None:
        raise TotalsMissingError(f"learner_totals of the week {until} are not computed: materialize learner_totals "
                                 "for this week first")
    return totals


def activity_totals(db: Database, course: ReportCourse, until: date) -> pl.DataFrame:
    """Per user of the course: the week's `learner_totals` (learner_day summed over the days before `until`,
    the week's Sunday): first/last event, events, active days, sessions, time on task, video plays and
    seconds, distinct videos and problems, problem checks, show-answer and forum posts."""
    used = [c for c in ACTIVITY_COLUMNS if c not in ("nvideos", "nproblems", "nforum_posts")]
    return week_totals(db, course, until, [*used, "videos", "problems"]).with_columns(
        pl.col("videos").list.len().cast(pl.Int64).alias("nvideos"),
        pl.col("problems").list.len().cast(pl.Int64).alias("nproblems"),
        (pl.col("nforum_threads") + pl.col("nforum_responses") + pl.col("nforum_comments")).alias("nforum_posts"),
    ).select("user_id", *ACTIVITY_COLUMNS)


def recent_events(db: Database, course: ReportCourse, until: date) -> pl.DataFrame:
    """Per user of the course: events filed in the 7 and the 30 days before `until` (learner_day rows of
    those days only: a bounded read)."""
    week, month = (until - timedelta(days=7)).isoformat(), (until - timedelta(days=30)).isoformat()
    rows = frames.read(db, ld.COLLECTION, LEARNER_DAY_RECENT,
                       {"course_id": course.course_id, "day": {"$gte": month, "$lt": until.isoformat()}})
    return rows.group_by("user_id").agg(
        pl.col("nevents").filter(pl.col("day") >= week).sum().alias("events_last_7_days"),
        pl.col("nevents").sum().alias("events_last_30_days"),
    )


def with_activity(enrolled: pl.DataFrame, activity: pl.DataFrame) -> pl.DataFrame:
    """Enrollments with their activity columns; a learner with no event has 0 counts, empty times."""
    joined = enrolled.join(activity, on="user_id", how="left")
    counts = [c for c in activity.columns if c not in ("user_id", "first_event", "last_event")]
    return joined.with_columns([pl.col(c).fill_null(0) for c in counts])


def learners_totals(db: Database, course: ReportCourse, until: date, team: pl.Series | None,
                    columns: list[str]) -> pl.DataFrame:
    """The week's totals of `columns` for the course's learners: the course team (`team`) left out, or
    everyone when `team` is None (EDX_REPORTS_INCLUDE_COURSE_TEAM)."""
    return roles.learners_only(week_totals(db, course, until, columns), team)
