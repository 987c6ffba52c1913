"""retention_by_cohort: of the learners who enrolled in a week, the share active k weeks later, by mode.

None of the peer tools publishes it; the definition is ours: a learner's cohort is the week (Sunday to
Saturday, the weekly partitions' weeks) the enrollment was created in; week k is the k-th week from it
(k = 0 the enrollment week itself); active = any learner day in the course that week (learner_totals'
active_weeks). Only weeks that ended before the report's Sunday are reported. days_covered says how many of
the week's 7 days had their events file loaded (Eventos' load records, eventos_reads.loaded_days): a week with
none (older than the delivery, or a gap) has active_learners and share_active empty (unknown, not 0); a
week with 1 to 6 is partly known, and its figures count only those days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
from pymongo.database import Database

from edx_assets.edx.learner_totals import week_of
from edx_assets.edx.reports import frames
from edx_assets.edx.reports.courses import ReportCourse

COLUMNS = ["course_id", "mode", "cohort_week", "week_number", "learners", "active_learners", "share_active",
           "days_covered"]  # added: days of the week with events loaded


def cohorts(db: Database, course: ReportCourse, team: pl.Series | None, until: date) -> pl.DataFrame:
    """One row per learner enrolled before `until` (the first enrollment row): user_id, mode, cohort_week."""
    enrolled = frames.read(db, course.collection("enrollments"), frames.ENROLLMENTS).filter(
        pl.col("created") < pl.lit(until))
    if team is not None:
        enrolled = enrolled.filter(~pl.col("user_id").is_in(team.implode()))
    return enrolled.sort("created", "id").select(
        "user_id", pl.col("mode").fill_null("unknown"), week_of(pl.col("created").dt.date()).alias("cohort_week")
    ).unique("user_id", keep="first", maintain_order=True)


def cohort_learners(db: Database, course: ReportCourse, team: pl.Series | None, until: date) -> int:
    """Learners enrolled before `until` (the course team left out), counted by MongoDB: what the `all`
    cohorts must add up to."""
    users = set(db[course.collection("enrollments")].distinct("user_id", {"created": {"$lt": datetime.combine(
        until, datetime.min.time())}}))
    return len(users - set(team.to_list())) if team is not None else len(users)


def retention(db: Database, course: ReportCourse, totals: pl.DataFrame, team: pl.Series | None,
              until: date, days: list[str] | None = None) -> pl.DataFrame:
    """Rows per mode (`all` too), cohort week and week number k: the cohort's learners, those active in
    week k and their share. The course team is left out unless `team` is None."""
    cohorts_ = cohorts(db, course, team, until)
    last_week = (until - timedelta(days=7)).isoformat()
    weeks = totals.select("user_id", pl.col("active_weeks").alias("week")).explode("week").drop_nulls("week")
    both = pl.concat([cohorts_, cohorts_.with_columns(pl.lit("all").alias("mode"))])
    size = both.group_by("mode", "cohort_week").agg(pl.len().cast(pl.Int64).alias("learners"))
    grid = size.with_columns(pl.date_ranges(pl.col("cohort_week").str.to_date(), pl.lit(date.fromisoformat(last_week)),
                                            "1w").alias("week")).explode("week").drop_nulls("week").with_columns(
        pl.col("week").dt.to_string("%Y-%m-%d"))
    active = both.join(weeks, on="user_id", how="inner").filter(pl.col("week") >= pl.col("cohort_week")).group_by(
        "mode", "cohort_week", "week").agg(pl.col("user_id").n_unique().cast(pl.Int64).alias("active_learners"))
    table = grid.join(active, on=["mode", "cohort_week", "week"], how="left").with_columns(
        pl.col("active_learners").fill_null(0),
        ((pl.col("week").str.to_date() - pl.col("cohort_week").str.to_date()).dt.total_days() // 7).cast(pl.Int64)
        .alias("week_number"))
    covered = pl.DataFrame({"day": days or []}, schema={"day": pl.String}).select(
        week_of(pl.col("day").str.to_date()).alias("week")).group_by("week").agg(
        pl.len().cast(pl.Int64).alias("days_covered"))
    return table.join(covered, on="week", how="left").with_columns(
        pl.lit(course.course_id).alias("course_id"), pl.col("days_covered").fill_null(0),
    ).with_columns(
        pl.when(pl.col("days_covered") > 0).then(pl.col("active_learners")).alias("active_learners"),
    ).with_columns(
        (pl.col("active_learners") / pl.col("learners")).round(4).alias("share_active"),
    ).sort("mode", "cohort_week", "week_number").select(COLUMNS)
