"""Learner location from the registration IP, looked up offline.

The registration IP is the IP of the learner's earliest enrollment-activation event, else of the
learner's earliest event with an IP. The result goes to `learner_locations.csv` and, with `$set`, to
`ip_location` in the learner's demographics documents: the profile's own `country` is never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymongo import UpdateMany
from pymongo.database import Database

from edx_assets.edx.geo import GeoLocator
from edx_assets.edx.reports.courses import ReportCourse

COLUMNS = ["user_id", "username", "source", "country_code", "country", "city", "courses"]
ACTIVATION = "edx.course.enrollment.activated"


def registration_ips(db: Database, events: str) -> Iterator[dict[str, Any]]:
    """Per user id: the registration IP and where it came from, streamed in user id order."""
    pipeline = [
        {"$match": {"_edx.user_id": {"$ne": None}, "ip": {"$nin": ["", None]}}},
        {"$group": {
            "_id": "$_edx.user_id",
            "username": {"$max": "$username"},
            # $min over {time, ip} documents picks the earliest; nulls (non-activation) are ignored.
            "activation": {"$min": {"$cond": [{"$eq": ["$_edx.event_type", ACTIVATION]},
                                              {"t": "$_edx.time", "ip": "$ip"}, None]}},
            "earliest": {"$min": {"t": "$_edx.time", "ip": "$ip"}},
        }},
        {"$sort": {"_id": 1}},
    ]
    for row in db[events].aggregate(pipeline, allowDiskUse=True):
        chosen, source = (row["activation"], "enrollment_activation") if row.get("activation") else (
            row["earliest"], "earliest_event")
        yield {"user_id": row["_id"], "username": row.get("username"), "ip": chosen["ip"], "source": source}


def locate_learners(db: Database, events: str, courses: list[ReportCourse], locator: GeoLocator,
                    week: str, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Yield one CSV row per learner and write `ip_location` into the demographics of their courses."""
    pending: list[tuple[int, dict]] = []

    def flush() -> None:
        for course in courses:
            ops = [UpdateMany({"user_id": uid}, {"$set": {"ip_location": loc}}) for uid, loc in pending]
            if ops:
                db[course.collection("demographics")].bulk_write(ops, ordered=False)
        pending.clear()

    enrolled_in = _courses_by_user(db, courses)
    for learner in registration_ips(db, events):
        location = locator.locate(learner["ip"])
        record = {
            "country_code": location.country_code if location else None,
            "country": location.country if location else None,
            "city": location.city if location else None,
            "source": learner["source"], "week": week,
        }
        pending.append((learner["user_id"], record))
        if len(pending) >= batch:
            flush()
        yield {"user_id": learner["user_id"], "username": learner["username"], **record,
               "courses": enrolled_in.get(learner["user_id"], 0)}
    flush()


def _courses_by_user(db: Database, courses: list[ReportCourse]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for course in courses:
        for row in db[course.collection("enrollments")].aggregate([{"$group": {"_id": "$user_id"}}]):
            counts[row["_id"]] = counts.get(row["_id"], 0) + 1
    return counts
