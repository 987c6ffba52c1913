"""Daily activity per course (activity_daily, from learner_day) and daily enrollment flows (enrollment_daily,
from Eventos)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import polars as pl
import pyarrow as pa
from pymongo.database import Database

from edx_assets.edx import eventos_schema as ev
from edx_assets.edx import learner_day as ld
from edx_assets.edx.reports import frames

ACTIVITY_COLUMNS = ["course_id", "day", "active_users", "events", "users_played_video",
                    "users_attempted_problem", "users_posted_forum"]
ENROLLMENT_COLUMNS = ["course_id", "day", "mode", "enrolled", "unenrolled", "net", "cumulative"]
ACTIVATED = ev.ACTIVATED
DEACTIVATED = ev.DEACTIVATED
ACTIVITY_READ = {"course_id": pa.string(), "nevents": pa.int64(), "nplay_video": pa.int64(),
                 "nproblem_check": pa.int64(), "nforum_threads": pa.int64(), "nforum_responses": pa.int64(),
                 "nforum_comments": pa.int64()}


def activity_frame(db: Database, day: str) -> pl.DataFrame:
    """Per course, from the day's `learner_day` rows (the events filed under `day` with a course and a
    user id): active learners, events, and learners who played a video, checked a problem (server-side)
    or posted in the forum. Columns: ACTIVITY_COLUMNS, ordered by course."""
    rows = frames.read(db, ld.COLLECTION, ACTIVITY_READ, {"day": day})
    posted = pl.col("nforum_threads") + pl.col("nforum_responses") + pl.col("nforum_comments")
    return rows.group_by("course_id").agg(
        pl.len().alias("active_users"),
        pl.col("nevents").sum().alias("events"),
        (pl.col("nplay_video") > 0).sum().alias("users_played_video"),
        (pl.col("nproblem_check") > 0).sum().alias("users_attempted_problem"),
        (posted > 0).sum().alias("users_posted_forum"),
    ).with_columns(pl.lit(day).alias("day")).sort("course_id").select(ACTIVITY_COLUMNS)


def enrollment_daily_rows(db: Database, events: str, until: datetime) -> Iterator[dict[str, Any]]:
    """Per course, day (of the event's time) and mode: enrolled, unenrolled, net and cumulative net."""
    pipeline = [
        {"$match": {ev.EVENT_TYPE: {"$in": [ACTIVATED, DEACTIVATED]}, ev.TIME: {"$lt": until},
                    ev.COURSE_ID: {"$ne": None}}},
        {"$group": {
            "_id": {"course": ev.ref(ev.COURSE_ID),
                    "day": {"$dateToString": {"format": "%Y-%m-%d", "date": ev.ref(ev.TIME)}},
                    "mode": {"$ifNull": ["$event.mode", "unknown"]}},
            "enrolled": {"$sum": {"$cond": [{"$eq": [ev.ref(ev.EVENT_TYPE), ACTIVATED]}, 1, 0]}},
            "unenrolled": {"$sum": {"$cond": [{"$eq": [ev.ref(ev.EVENT_TYPE), DEACTIVATED]}, 1, 0]}},
        }},
        {"$sort": {"_id.course": 1, "_id.mode": 1, "_id.day": 1}},
    ]
    running: dict[tuple[str, str], int] = {}
    for row in db[events].aggregate(pipeline, allowDiskUse=True):
        key = (row["_id"]["course"], row["_id"]["mode"])
        net = row["enrolled"] - row["unenrolled"]
        running[key] = running.get(key, 0) + net
        yield {"course_id": key[0], "day": row["_id"]["day"], "mode": key[1], "enrolled": row["enrolled"],
               "unenrolled": row["unenrolled"], "net": net, "cumulative": running[key]}
