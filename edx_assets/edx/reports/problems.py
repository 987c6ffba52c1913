"""person_problem: every learner's state on every problem they opened, along the course outline.

Definition (edx2bigquery make_item_tables.py `person_problem`, simeon person_problem.sql): both read the
problem rows of `courseware_studentmodule` (their `problem_analysis`), one row per learner and problem.
Their score is the sum of the problem's item grades; this table keeps what the package states for the
problem itself: `grade` and `max_grade` as edX computed them (the score the course grade uses), the share
grade / max_grade (0-1; edx2bigquery's problem_pct_score is the same on a 0-100 scale), and `attempts` from
the row's state (edx2bigquery's n_attempts). The dates are the row's `created` (first opened) and `modified`
(last changed): edx2bigquery keeps only max(created), which is the first one. A problem row with no grade
(opened, never submitted) keeps its row with empty scores; a problem the outline does not hold keeps its
row with empty outline columns. Learner-by-item rows (problem parts) and first/last answers are not here.
"""

from __future__ import annotations

import polars as pl
from pymongo.database import Database

from edx_assets.edx import blocks
from edx_assets.edx.reports import frames
from edx_assets.edx.reports.courses import ReportCourse

COLUMNS = ["course_id", "user_id", "problem_id", "index", "chapter_name", "sequential_name", "problem_name",
           "gformat", "graded", "problem_raw_score", "problem_max_score", "problem_pct_score", "n_attempts",
           "first_opened", "last_modified"]
READ = {"student_id": frames.INT, "module_id": frames.TEXT, "module_type": frames.TEXT, "grade": frames.FLOAT,
        "max_grade": frames.FLOAT, "state": frames.TEXT, "created": frames.TIME, "modified": frames.TIME}


def problem_records(db: Database, course: ReportCourse, read: dict = READ) -> pl.DataFrame:
    """The course's courseware rows of module_type `problem` (the `read` fields), with the block's name
    (`url_name`, the key to course_axis) and, when `read` has the row's state (the largest field: a reader
    that needs no attempts leaves it on the server), `n_attempts` from it."""
    rows = frames.read(db, course.collection("courseware"), read, {"module_type": "problem"}).with_columns(
        blocks.key_expr(pl.col("module_id")).alias("url_name"))
    if "state" not in read:
        return rows
    return rows.with_columns(
        pl.col("state").str.json_path_match("$.attempts").cast(pl.Int64, strict=False).alias("n_attempts"))


def outline_problems(axis: pl.DataFrame, places: tuple[str, ...] = ("chapter_name", "sequential_name")
                     ) -> pl.DataFrame:
    """The problems of a course's course_axis rows: their name (the join key), index, `places` (the names
    of their chapter and sequential), display name and grading."""
    return axis.filter(pl.col("category") == "problem").select(
        "url_name", "index", *places, pl.col("name").alias("problem_name"), "gformat", "graded")


def person_problem_frame(db: Database, course: ReportCourse, axis: pl.DataFrame) -> pl.DataFrame:
    """COLUMNS for one course: its courseware rows of module_type `problem`, joined to `axis` (the week's
    course_axis rows of the course) on the block's name, in outline order per learner."""
    return (problem_records(db, course).join(outline_problems(axis), on="url_name", how="left")
            .with_columns(
                pl.lit(course.course_id).alias("course_id"),
                pl.col("student_id").alias("user_id"),
                pl.col("module_id").alias("problem_id"),
                pl.col("grade").alias("problem_raw_score"),
                pl.col("max_grade").alias("problem_max_score"),
                pl.when(pl.col("max_grade") > 0).then(pl.col("grade") / pl.col("max_grade")).alias("problem_pct_score"),
                pl.col("created").alias("first_opened"),
                pl.col("modified").alias("last_modified"))
            .sort(["user_id", "index", "problem_id"], nulls_last=True)
            .select(COLUMNS))
