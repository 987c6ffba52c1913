"""Daily activity per course (activity_daily) and daily enrollment flows (enrollment_daily), from Eventos."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pymongo.database import Database

from edx_assets.edx import eventos_schema as ev
from edx_assets.edx.reports.learners import FORUM_POSTS, PLAY_VIDEO

ACTIVITY_COLUMNS = ["course_id", "day", "active_users", "events", "users_played_video",
                    "users_attempted_problem", "users_posted_forum"]
ENROLLMENT_COLUMNS = ["course_id", "day", "mode", "enrolled", "unenrolled", "net", "cumulative"]
ACTIVATED = "edx.course.enrollment.activated"
DEACTIVATED = "edx.course.enrollment.deactivated"


def activity_rows(db: Database, events: str, day: str) -> Iterator[dict[str, Any]]:
    """Per course, for the events filed under `day` (the daily partition), with a known user."""

    def users_where(condition: dict) -> dict:
        return {"$addToSet": {"$cond": [condition, "$username", "$$REMOVE"]}}

    pipeline = [
        {"$match": {ev.PARTITION: day, ev.COURSE_ID: {"$ne": None}, "username": {"$nin": ["", None]}}},
        {"$group": {
            "_id": ev.ref(ev.COURSE_ID),
            "users": {"$addToSet": "$username"},
            "events": {"$sum": 1},
            "video": users_where({"$in": [ev.ref(ev.EVENT_TYPE), PLAY_VIDEO]}),
            "problem": users_where({"$and": [{"$eq": [ev.ref(ev.EVENT_TYPE), "problem_check"]},
                                             {"$eq": ["$event_source", "server"]}]}),
            "forum": users_where({"$in": [ev.ref(ev.EVENT_TYPE), FORUM_POSTS]}),
        }},
        {"$project": {"active_users": {"$size": "$users"}, "events": 1, "users_played_video": {"$size": "$video"},
                      "users_attempted_problem": {"$size": "$problem"}, "users_posted_forum": {"$size": "$forum"}}},
        {"$sort": {"_id": 1}},
    ]
    for row in db[events].aggregate(pipeline, allowDiskUse=True):
        yield {"course_id": row.pop("_id"), "day": day, **row}


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
