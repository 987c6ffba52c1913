"""video_engagement and problem_analysis: per course and video / problem, from Eventos and the structure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from bson.decimal128 import Decimal128
from pymongo.database import Database

from edx_assets.edx import eventos_schema as ev
from edx_assets.edx.reports.courses import ReportCourse

VIDEO_COLUMNS = ["course_id", "video_id", "video_name", "viewers", "plays", "mean_furthest_position",
                 "share_watched_to_end"]
PROBLEM_COLUMNS = ["course_id", "problem_id", "problem_name", "learners_attempted", "attempts_per_learner",
                   "share_correct_first_attempt", "mean_score", "showanswer_count"]
VIDEO_EVENTS = ["load_video", "play_video", "pause_video", "seek_video", "stop_video", "edx.video.played",
                "edx.video.paused", "edx.video.stopped", "edx.video.completed", "complete_video"]
PLAYS = ["play_video", "edx.video.played"]
ENDS = ["stop_video", "edx.video.stopped", "edx.video.completed", "complete_video"]


def exact_sum(field: str) -> dict:
    """A `$group` accumulator summing `field` as Decimal128 (nulls skipped).

    A sum of doubles depends on the order MongoDB feeds them to `$avg`/`$sum`, and `$group` fixes no
    order, so a rounded mean could flip between re-runs. Each double converts to a decimal on its own,
    and the decimal sum of a course's values is exact, hence the same in any order.
    """
    return {"$sum": {"$cond": [{"$eq": [{"$type": field}, "double"]}, {"$toDecimal": field}, None]}}


def exact_mean(total: Decimal128 | None, count: int, places: int) -> float | None:
    """total / count rounded half-even to `places` decimals, or None when nothing was averaged."""
    if not count or total is None:
        return None
    mean = total.to_decimal() / Decimal(count)
    return float(mean.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))


def short_id(block_id: str) -> str:
    """What video events call a video: the last part of its usage key."""
    return block_id.rsplit("@", 1)[-1].rsplit("/", 1)[-1]


def _names(db: Database, course: ReportCourse, category: str) -> dict[str, tuple[str, str]]:
    return {short_id(b["_id"]): (b["_id"], b.get("display_name"))
            for b in db[course.collection("structure")].find({"category": category}, {"display_name": 1})}


def video_rows(db: Database, events: str, course: ReportCourse, until: datetime) -> Iterator[dict[str, Any]]:
    """viewers: learners with a play; plays: play events; mean_furthest_position: mean over viewers of
    the furthest position (seconds) any of their video events reported; share_watched_to_end: viewers
    with a stop/complete event."""
    videos = _names(db, course, "video")
    position = {"$ifNull": [f"${ev.EVENT}.currentTime", {"$ifNull": ["$event.currentTime",
                                                                    f"${ev.EVENT}.new_time"]}]}
    pipeline = [
        {"$match": {ev.COURSE_ID: course.course_id, ev.EVENT_TYPE: {"$in": VIDEO_EVENTS},
                    ev.USER_ID: {"$ne": None}, ev.TIME: {"$lt": until}}},
        {"$project": {"user": ev.ref(ev.USER_ID), "type": ev.ref(ev.EVENT_TYPE),
                      # Browsers send the short id, mobile apps sometimes the whole usage key.
                      "video": {"$last": {"$split": [{"$last": {"$split": [
                          {"$toString": {"$ifNull": [f"${ev.EVENT}.id", "$event.id"]}}, "@"]}}, "/"]}},
                      "position": {"$convert": {"input": position, "to": "double", "onError": None, "onNull": None}}}},
        {"$group": {"_id": {"video": "$video", "user": "$user"},
                    "plays": {"$sum": {"$cond": [{"$in": ["$type", PLAYS]}, 1, 0]}},
                    "furthest": {"$max": "$position"},
                    "ended": {"$max": {"$cond": [{"$in": ["$type", ENDS]}, 1, 0]}}}},
        {"$match": {"plays": {"$gt": 0}}},
        {"$group": {"_id": "$_id.video", "viewers": {"$sum": 1}, "plays": {"$sum": "$plays"},
                    "furthest_total": exact_sum("$furthest"),
                    "with_position": {"$sum": {"$cond": [{"$eq": [{"$type": "$furthest"}, "double"]}, 1, 0]}},
                    "ended": {"$sum": "$ended"}}},
    ]
    stats = {row["_id"]: row for row in db[events].aggregate(pipeline, allowDiskUse=True)}
    # Videos the events name but the structure does not (no structure, or a block since removed) are
    # reported too, under their short id and with no name, after the known ones: never dropped.
    videos.update({vid: (vid, None) for vid in stats if isinstance(vid, str) and vid not in videos})
    for vid, (block_id, name) in sorted(videos.items(), key=lambda kv: (kv[1][1] is None, kv[1][0])):
        row = stats.get(vid, {"viewers": 0, "plays": 0, "furthest_total": None, "with_position": 0, "ended": 0})
        yield {"course_id": course.course_id, "video_id": block_id, "video_name": name,
               "viewers": row["viewers"], "plays": row["plays"],
               "mean_furthest_position": exact_mean(row["furthest_total"], row["with_position"], 2),
               "share_watched_to_end": round(row["ended"] / row["viewers"], 4) if row["viewers"] else None}


def problem_rows(db: Database, events: str, course: ReportCourse, until: datetime) -> Iterator[dict[str, Any]]:
    """From server-side problem_check events (one per submission) and showanswer events."""
    problems = {block_id: name for block_id, name in _names(db, course, "problem").values()}
    pipeline = [
        {"$match": {ev.COURSE_ID: course.course_id, ev.TIME: {"$lt": until}, "$or": [
            {ev.EVENT_TYPE: "problem_check", "event_source": "server"}, {ev.EVENT_TYPE: "showanswer"}]}},
        {"$project": {"user": ev.ref(ev.USER_ID), "type": ev.ref(ev.EVENT_TYPE), "problem": "$event.problem_id",
                      "attempts": "$event.attempts", "correct": {"$eq": ["$event.success", "correct"]},
                      "score": {"$cond": [{"$gt": ["$event.max_grade", 0]},
                                          {"$divide": ["$event.grade", "$event.max_grade"]}, None]}}},
        {"$group": {"_id": {"problem": "$problem", "user": "$user"},
                    "checks": {"$sum": {"$cond": [{"$eq": ["$type", "problem_check"]}, 1, 0]}},
                    "first_correct": {"$max": {"$cond": [{"$and": [{"$eq": ["$attempts", 1]}, "$correct"]}, 1, 0]}},
                    "score": {"$max": "$score"},
                    "showanswers": {"$sum": {"$cond": [{"$eq": ["$type", "showanswer"]}, 1, 0]}}}},
        {"$group": {"_id": "$_id.problem",
                    "learners": {"$sum": {"$cond": [{"$gt": ["$checks", 0]}, 1, 0]}},
                    "checks": {"$sum": "$checks"},
                    "first_correct": {"$sum": "$first_correct"},
                    "score_total": exact_sum("$score"),
                    "scored": {"$sum": {"$cond": [{"$eq": [{"$type": "$score"}, "double"]}, 1, 0]}},
                    "showanswers": {"$sum": "$showanswers"}}},
    ]
    stats = {row["_id"]: row for row in db[events].aggregate(pipeline, allowDiskUse=True)}
    # Problems the events name but the structure does not: reported with no name, never dropped.
    problems.update({pid: None for pid in stats if pid not in problems and isinstance(pid, str)})
    for block_id in sorted(problems):
        row = stats.get(block_id, {"learners": 0, "checks": 0, "first_correct": 0, "score_total": None,
                                   "scored": 0, "showanswers": 0})
        learners = row["learners"]
        yield {"course_id": course.course_id, "problem_id": block_id, "problem_name": problems[block_id],
               "learners_attempted": learners,
               "attempts_per_learner": round(row["checks"] / learners, 4) if learners else None,
               "share_correct_first_attempt": round(row["first_correct"] / learners, 4) if learners else None,
               "mean_score": exact_mean(row["score_total"], row["scored"], 4),
               "showanswer_count": row["showanswers"]}
