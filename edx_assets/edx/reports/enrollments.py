"""`enrollments_report.csv`: every enrollment, learners without demographics included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymongo.database import Database

from edx_assets.edx.reports.courses import ReportCourse

COLUMNS = ["mooc_name", "mooc_id", "registration_date", "gender", "country",
           "user_id", "mode", "is_active"]


def enrollment_report_rows(db: Database, courses: list[ReportCourse]) -> Iterator[dict[str, Any]]:
    for course in courses:
        pipeline = [
            {"$lookup": {"from": course.collection("demographics"), "localField": "user_id",
                         "foreignField": "user_id", "as": "p",
                         "pipeline": [{"$limit": 1}, {"$project": {"gender": 1, "country": 1}}]}},
            {"$sort": {"created": 1, "_id": 1}},
        ]
        for doc in db[course.collection("enrollments")].aggregate(pipeline, allowDiskUse=True):
            profile = doc["p"][0] if doc["p"] else {}
            yield {
                "mooc_name": course.name, "mooc_id": course.course_id, "registration_date": doc.get("created"),
                "gender": profile.get("gender") or None, "country": profile.get("country") or None,
                "user_id": doc.get("user_id"), "mode": doc.get("mode"), "is_active": doc.get("is_active"),
            }
