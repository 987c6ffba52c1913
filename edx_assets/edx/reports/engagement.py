"""video_engagement and problem_analysis: per course and video / problem, rolled up from the week's
learner_totals (never the raw events) and named from the course structure."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import polars as pl
from pymongo.database import Database

from edx_assets.edx.reports.courses import ReportCourse

VIDEO_COLUMNS = ["course_id", "video_id", "video_name", "viewers", "plays", "mean_furthest_position",
                 "share_watched_to_end"]
PROBLEM_COLUMNS = ["course_id", "problem_id", "problem_name", "learners_attempted", "attempts_per_learner",
                   "share_correct_first_attempt", "mean_score", "showanswer_count"]


def exact_mean(values: list[float], places: int) -> float | None:
    """The mean of `values` rounded half-even to `places` decimals, or None when there is nothing to average.

    Each float is taken at its shortest decimal form and summed exactly, so neither the order the values
    come in nor float rounding can change a digit between re-runs."""
    if not values:
        return None
    mean = sum((Decimal(repr(v)) for v in values), Decimal(0)) / Decimal(len(values))
    return float(mean.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))


def short_id(block_id: str) -> str:
    """What video events call a video: the last part of its usage key."""
    return block_id.rsplit("@", 1)[-1].rsplit("/", 1)[-1]


def _names(db: Database, course: ReportCourse, category: str) -> dict[str, tuple[str, str]]:
    return {short_id(b["_id"]): (b["_id"], b.get("display_name"))
            for b in db[course.collection("structure")].find({"category": category}, {"display_name": 1})}


def _detail(totals: pl.DataFrame, column: str) -> pl.DataFrame:
    """One row per learner and video (or problem), over the course's life."""
    return totals.select("user_id", column).explode(column).drop_nulls(column).unnest(column)


def video_rows(db: Database, course: ReportCourse, totals: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """From the week's learner_totals (per learner and video, over the course's life): viewers, learners
    with a play; plays; mean_furthest_position, the mean over viewers of the furthest position (seconds)
    any of their video events reported; share_watched_to_end, viewers with a stop/complete event."""
    videos = _names(db, course, "video")
    viewers = _detail(totals, "video_detail").filter(pl.col("plays") > 0)
    stats = {row["video"]: row for row in viewers.group_by("video").agg(
        pl.len().alias("viewers"), pl.col("plays").sum(), pl.col("furthest").drop_nulls().sort().alias("positions"),
        pl.col("ended").sum()).iter_rows(named=True)}
    # Videos the events name but the structure does not (no structure, or a block since removed) are
    # reported too, under their short id and with no name, after the known ones: never dropped.
    videos.update({vid: (vid, None) for vid in stats if isinstance(vid, str) and vid not in videos})
    for vid, (block_id, name) in sorted(videos.items(), key=lambda kv: (kv[1][1] is None, kv[1][0])):
        row = stats.get(vid, {"viewers": 0, "plays": 0, "positions": [], "ended": 0})
        yield {"course_id": course.course_id, "video_id": block_id, "video_name": name,
               "viewers": row["viewers"], "plays": row["plays"],
               "mean_furthest_position": exact_mean(row["positions"], 2),
               "share_watched_to_end": round(row["ended"] / row["viewers"], 4) if row["viewers"] else None}


def problem_rows(db: Database, course: ReportCourse, totals: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """From the week's learner_totals (per learner and problem, over the course's life): server-side
    problem_check events (one per submission) and show-answer events."""
    problems = {block_id: name for block_id, name in _names(db, course, "problem").values()}
    per_learner = _detail(totals, "problem_detail")
    stats = {row["problem"]: row for row in per_learner.group_by("problem").agg(
        (pl.col("checks") > 0).sum().alias("learners"), pl.col("checks").sum(),
        pl.col("first_correct").sum(), pl.col("best_score").drop_nulls().sort().alias("scores"),
        pl.col("show_answers").sum()).iter_rows(named=True)}
    # Problems the events name but the structure does not: reported with no name, never dropped.
    problems.update({pid: None for pid in stats if pid not in problems and isinstance(pid, str)})
    for block_id in sorted(problems):
        row = stats.get(block_id, {"learners": 0, "checks": 0, "first_correct": 0, "scores": [], "show_answers": 0})
        learners = row["learners"]
        yield {"course_id": course.course_id, "problem_id": block_id, "problem_name": problems[block_id],
               "learners_attempted": learners,
               "attempts_per_learner": round(row["checks"] / learners, 4) if learners else None,
               "share_correct_first_attempt": round(row["first_correct"] / learners, 4) if learners else None,
               "mean_score": exact_mean(row["scores"], 4),
               "showanswer_count": row["show_answers"]}
