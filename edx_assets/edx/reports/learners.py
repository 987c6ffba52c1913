"""One row per enrollment with everything the learner reports join: user, profile, certificate,
courseware activity and progress. One aggregation per course, streamed from the server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pymongo.database import Database

from edx_assets.edx import eventos_schema as ev
from edx_assets.edx.reports import locations
from edx_assets.edx.reports.courses import ReportCourse

CONTAINERS = {"course", "chapter", "sequential", "vertical"}
PLAY_VIDEO = ["play_video", "edx.video.played"]
FORUM_POSTS = ["edx.forum.thread.created", "edx.forum.response.created", "edx.forum.comment.created"]


def course_units(db: Database, course: ReportCourse) -> set[str]:
    """Leaf blocks of the course structure (videos, problems, html...): what progress counts."""
    return {b["_id"] for b in db[course.collection("structure")].find(
        {"category": {"$nin": sorted(CONTAINERS)}}, {"_id": 1})}


def enrollment_rows(db: Database, course: ReportCourse, *, with_locations: bool = True) -> Iterator[dict[str, Any]]:
    """Every enrollment joined to the learner's user, profile, IP location (`learner_locations`, unless
    `with_locations` is false: then the IP columns are None and that collection is not read),
    certificate and courseware records."""
    units = course_units(db, course)
    pipeline = [
        {"$lookup": {"from": course.collection("users"), "localField": "user_id", "foreignField": "id",
                     "as": "user", "pipeline": [{"$limit": 1}]}},
        {"$lookup": {"from": course.collection("demographics"), "localField": "user_id",
                     "foreignField": "user_id", "as": "profile", "pipeline": [{"$limit": 1}]}},
        *([{"$lookup": {"from": locations.COLLECTION, "localField": "user_id", "foreignField": "_id",
                        "as": "location"}}] if with_locations else []),
        {"$lookup": {"from": course.collection("certificates"), "localField": "user_id",
                     "foreignField": "user_id", "as": "certificate",
                     "pipeline": [{"$sort": {"modified_date": -1}}, {"$limit": 1}]}},
        {"$lookup": {"from": course.collection("courseware"), "localField": "user_id",
                     "foreignField": "student_id", "as": "activity",
                     "pipeline": [{"$group": {"_id": None, "records": {"$sum": 1},
                                              "modules": {"$addToSet": "$module_id"}}}]}},
        {"$sort": {"user_id": 1, "_id": 1}},
    ]
    for doc in db[course.collection("enrollments")].aggregate(pipeline, allowDiskUse=True):
        user = doc["user"][0] if doc["user"] else {}
        profile = doc["profile"][0] if doc["profile"] else {}
        location = doc["location"][0] if doc.get("location") else {}
        certificate = doc["certificate"][0] if doc["certificate"] else {}
        activity = doc["activity"][0] if doc["activity"] else {"records": 0, "modules": []}
        visited = len(units.intersection(activity["modules"]))
        yield {
            "course_id": course.course_id,
            "course_name": course.name,
            "user_id": doc.get("user_id"),
            "username": user.get("username"),
            "first_name": user.get("first_name"),
            "last_name": user.get("last_name"),
            "name": profile.get("name") or " ".join(
                p for p in (user.get("first_name"), user.get("last_name")) if p) or None,
            "email": user.get("email"),
            "is_staff": bool(user.get("is_staff")),
            "has_user": bool(user),
            "enrollment_date": doc.get("created"),
            "mode": doc.get("mode"),
            "is_active": doc.get("is_active"),
            "gender": profile.get("gender") or None,
            "year_of_birth": profile.get("year_of_birth"),
            "level_of_education": profile.get("level_of_education") or None,
            "country": profile.get("country") or None,
            "ip_country": location.get("country_code"),
            "ip_country_modal": (location.get("modal") or {}).get("country_code"),
            "courseware_records": activity["records"],
            "units_visited": visited,
            "units_total": len(units),
            "progress": round(visited / len(units), 4) if units else None,
            "grade": certificate.get("grade"),
            "certificate_status": certificate.get("status"),
            "certificate_mode": certificate.get("mode"),
        }


def event_activity(db: Database, events: str, course: ReportCourse, until: datetime) -> dict[int, dict]:
    """Per user of the course, from Eventos before `until`: first and last event, events (`nevents`),
    active days (`ndays_act`), events in the 7 and 30 days before `until`, video plays, server-side
    problem checks (the browser sends its own copy of each) and forum posts."""
    week, month = until - timedelta(days=7), until - timedelta(days=30)

    def count_if(condition: dict) -> dict:
        return {"$sum": {"$cond": [condition, 1, 0]}}

    pipeline = [
        {"$match": {ev.COURSE_ID: course.course_id, ev.USER_ID: {"$ne": None},
                    ev.TIME: {"$lt": until}}},
        {"$group": {
            "_id": ev.ref(ev.USER_ID),
            "first_event": {"$min": ev.ref(ev.TIME)},
            "last_event": {"$max": ev.ref(ev.TIME)},
            "nevents": {"$sum": 1},
            "days": {"$addToSet": {"$dateToString": {"format": "%Y-%m-%d", "date": ev.ref(ev.TIME)}}},
            "events_last_7_days": count_if({"$gte": [ev.ref(ev.TIME), week]}),
            "events_last_30_days": count_if({"$gte": [ev.ref(ev.TIME), month]}),
            "nplay_video": count_if({"$in": [ev.ref(ev.EVENT_TYPE), PLAY_VIDEO]}),
            "nproblem_check": count_if({"$and": [{"$eq": [ev.ref(ev.EVENT_TYPE), "problem_check"]},
                                                 {"$eq": ["$event_source", "server"]}]}),
            "nforum_posts": count_if({"$in": [ev.ref(ev.EVENT_TYPE), FORUM_POSTS]}),
        }},
        {"$set": {"ndays_act": {"$size": "$days"}}},
        {"$unset": "days"},
    ]
    return {row.pop("_id"): row for row in db[events].aggregate(pipeline, allowDiskUse=True)}
