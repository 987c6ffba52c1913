"""video_engagement and problem_analysis: per course and video / problem, rolled up from the week's
learner_totals (never the raw events) and named from the course structure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import polars as pl
from pymongo.database import Database

from edx_assets.edx import blocks
from edx_assets.edx.reports import frames
from edx_assets.edx.reports.courses import ReportCourse

VIDEO_COLUMNS = ["course_id", "video_id", "video_name", "viewers", "plays", "mean_furthest_position",
                 "share_watched_to_end",
                 # added: completion on the video's duration
                 "duration", "duration_source", "completers", "completion_share", "median_seconds_watched"]
SEGMENT_COLUMNS = ["course_id", "video_id", "video_name", "segment", "start_seconds", "viewers", "views"]
SEGMENT_SECONDS = 5  # edx-analytics-pipeline's VIDEO_VIEWING_SECONDS_PER_SEGMENT
COMPLETE_SHARE = 0.95  # edx2bigquery's videos_watched: position > 95% of the video's length
COMPLETE_FROM_END = 30.0  # or within 30 s of the end (the credits a learner skips)
DROPOFF_THRESHOLD = 0.05  # edx-analytics-pipeline's [videos] dropoff_threshold (its shipped configurations)
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


def block_names(db: Database, course: ReportCourse, category: str) -> dict[str, tuple[str, str]]:
    """blocks.key (what events' ids reduce to, whatever their form) -> (block id, display name) of the
    structure's `category` blocks."""
    return {blocks.key(b["_id"]): (b["_id"], b.get("display_name"))
            for b in db[course.collection("structure")].find({"category": category}, {"display_name": 1})}


def final_segment(viewers_per_segment: dict[int, int]) -> int:
    """edx-analytics-pipeline, video.py, `VideoUsageTask.get_final_segment`: walking down from the last
    segment anyone watched, the first segment whose successor kept at most DROPOFF_THRESHOLD of its
    viewers is the video's end (the credits, a seek to the end); without such a drop, the last segment."""
    ordered = sorted(viewers_per_segment, reverse=True)
    final = ordered[0]
    last_users = viewers_per_segment[final]
    for segment in ordered[1:]:
        users = viewers_per_segment[segment]
        if last_users <= users * DROPOFF_THRESHOLD:
            return segment
        last_users = users
    return final


def durations(db: Database, course: ReportCourse, viewers: pl.DataFrame) -> dict[str, tuple[float, str]]:
    """video key -> (duration in seconds, source): the median over learners of the largest duration their
    video events reported (`events`), else a `duration` in the structure block's metadata (`structure`); a
    video with neither has no entry (`inferred_durations` may add it)."""
    found = {row["video"]: (row["duration"], "events") for row in viewers.drop_nulls("duration").group_by("video").agg(
        pl.col("duration").median()).iter_rows(named=True)}
    for block in db[course.collection("structure")].find({"category": "video", "metadata.duration": {"$gt": 0}},
                                                         {"metadata.duration": 1}):
        found.setdefault(blocks.key(block["_id"]), (float(block["metadata"]["duration"]), "structure"))
    return found


def inferred_durations(timeline_: pl.DataFrame, known: dict[str, tuple[float, str]]) -> dict[str, tuple[float, str]]:
    """The videos of `timeline_` without a known duration -> (duration, `inferred`), as edx-analytics-pipeline
    infers it (video.py, `VideoUsageTask.reducer`: (final segment + 1) x 5 - 1 seconds, `final_segment`); a
    video nobody watched a segment of gets none (unknown)."""
    out = {}
    for (video,), rows in timeline_.group_by(["video"]):
        if video not in known:
            last = final_segment(dict(zip(rows["segment"].to_list(), rows["viewers"].to_list(), strict=True)))
            out[video] = (float((last + 1) * SEGMENT_SECONDS - 1), "inferred")
    return out


def _completed(duration: pl.Expr) -> pl.Expr:
    return (pl.col("seconds") >= COMPLETE_SHARE * duration) | (pl.col("furthest") >= duration - COMPLETE_FROM_END)


def video_rows(db: Database, course: ReportCourse, totals: pl.DataFrame,
               viewings: Callable[[], pl.DataFrame] | None = None) -> Iterator[dict[str, Any]]:
    """From the week's learner_totals (per learner and video, over the course's life): viewers, learners
    with a play; plays; mean_furthest_position, the mean over viewers of the furthest position (seconds)
    any of their video events reported; share_watched_to_end, viewers with a stop/complete event; duration
    (`durations`, else `inferred_durations`); completers, viewers who watched at least 95% of the duration (seconds watched, edx2bigquery's
    rule) or reached the last 30 seconds (furthest position); completion_share = completers / viewers;
    median_seconds_watched over viewers. `totals` holds learners only (no course team) unless configured.
    `viewings` reads the same learners' video_viewings, only when a watched video's duration must be inferred
    (most videos report theirs: their viewings are then not read)."""
    videos = block_names(db, course, "video")
    viewers = frames.nested_rows(totals, "video_detail").filter(pl.col("plays") > 0)
    known = durations(db, course, viewers)
    if viewings is not None and not set(viewers.get_column("video").drop_nulls().to_list()) <= set(known):
        known |= inferred_durations(timeline(viewings()), known)
    with_duration = viewers.with_columns(pl.col("video").replace_strict(
        {v: d for v, (d, _) in known.items()}, default=None, return_dtype=pl.Float64).alias("length"))
    stats = {row["video"]: row for row in with_duration.group_by("video").agg(
        pl.len().alias("viewers"), pl.col("plays").sum(), pl.col("furthest").drop_nulls().sort().alias("positions"),
        pl.col("ended").sum(), _completed(pl.col("length")).sum().alias("completers"),
        pl.col("seconds").median().alias("median_seconds")).iter_rows(named=True)}
    # Videos the events name but the structure does not (no structure, or a block since removed) are
    # reported too, under the key their events gave and with no name, after the known ones: never dropped.
    videos.update({vid: (vid, None) for vid in stats if isinstance(vid, str) and vid not in videos})
    for vid, (block_id, name) in sorted(videos.items(), key=lambda kv: (kv[1][1] is None, kv[1][0])):
        row = stats.get(vid, {"viewers": 0, "plays": 0, "positions": [], "ended": 0, "completers": 0,
                              "median_seconds": None})
        duration, source = known.get(vid, (None, None))
        completers = row["completers"] if duration is not None else None
        yield {"course_id": course.course_id, "video_id": block_id, "video_name": name,
               "viewers": row["viewers"], "plays": row["plays"],
               "mean_furthest_position": exact_mean(row["positions"], 2),
               "share_watched_to_end": round(row["ended"] / row["viewers"], 4) if row["viewers"] else None,
               "duration": duration, "duration_source": source, "completers": completers,
               "completion_share": round(completers / row["viewers"], 4) if completers is not None and row["viewers"]
               else None,
               "median_seconds_watched": None if row["median_seconds"] is None else round(row["median_seconds"], 3)}


def timeline(totals: pl.DataFrame) -> pl.DataFrame:
    """Per video (key) and 5-second segment: viewers and views, from learner_totals' video_viewings."""
    viewings = frames.nested_rows(totals, "video_viewings")
    covered = viewings.with_columns(pl.int_ranges((pl.col("start") // SEGMENT_SECONDS).cast(pl.Int64),
                                                  (pl.col("end") // SEGMENT_SECONDS).cast(pl.Int64) + 1).alias("segment")
                                    ).explode("segment")
    return covered.group_by("video", "segment").agg(pl.col("user_id").n_unique().alias("viewers"),
                                                    pl.len().alias("views"))


def segment_frame(db: Database, course: ReportCourse, totals: pl.DataFrame) -> pl.DataFrame:
    """edx-analytics-pipeline's video timeline: per video and 5-second segment, viewers (distinct learners
    with a viewing covering the segment) and views (viewings covering it). A viewing from position s to e
    covers segments floor(s / 5) .. floor(e / 5). From every learner's counted viewings (learner_day's
    video_viewings) over the course's life."""
    names = block_names(db, course, "video")
    table = timeline(totals)
    return table.with_columns(
        pl.lit(course.course_id).alias("course_id"),
        pl.col("video").replace_strict({v: b for v, (b, _) in names.items()}, default=pl.col("video")).alias("video_id"),
        pl.col("video").replace_strict({v: n for v, (_, n) in names.items()}, default=None,
                                       return_dtype=pl.String).alias("video_name"),
        (pl.col("segment") * SEGMENT_SECONDS).alias("start_seconds"),
        pl.col("viewers").cast(pl.Int64), pl.col("views").cast(pl.Int64),
    ).sort("video_id", "segment").select(SEGMENT_COLUMNS)


def problem_rows(db: Database, course: ReportCourse, totals: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """From the week's learner_totals (per learner and problem, over the course's life): server-side
    problem_check events (one per submission) and show-answer events."""
    problems = block_names(db, course, "problem")  # key -> (block id, name)
    per_learner = frames.nested_rows(totals, "problem_detail").with_columns(
        blocks.key_expr(pl.col("problem")).alias("key")).group_by("user_id", "key").agg(
        pl.col("problem").min(), pl.col("checks").sum(), pl.col("first_correct").any(), pl.col("best_score").max(),
        pl.col("show_answers").sum())
    stats = {row["key"]: row for row in per_learner.group_by("key").agg(
        pl.col("problem").min(), (pl.col("checks") > 0).sum().alias("learners"), pl.col("checks").sum(),
        pl.col("first_correct").sum(), pl.col("best_score").drop_nulls().sort().alias("scores"),
        pl.col("show_answers").sum()).iter_rows(named=True)}
    # Problems the events name but the structure does not: reported under the events' id with no name.
    problems.update({k: (row["problem"], None) for k, row in stats.items() if k not in problems and isinstance(k, str)})
    for key, (block_id, name) in sorted(problems.items(), key=lambda kv: kv[1][0]):
        row = stats.get(key, {"learners": 0, "checks": 0, "first_correct": 0, "scores": [], "show_answers": 0})
        learners = row["learners"]
        yield {"course_id": course.course_id, "problem_id": block_id, "problem_name": name,
               "learners_attempted": learners,
               "attempts_per_learner": round(row["checks"] / learners, 4) if learners else None,
               "share_correct_first_attempt": round(row["first_correct"] / learners, 4) if learners else None,
               "mean_score": exact_mean(row["scores"], 4),
               "showanswer_count": row["show_answers"]}
