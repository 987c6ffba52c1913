"""The cross-course "colecciones generales": one summary per course (the `reports` collection) and
`general_report.csv` with the old columns plus verified counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymongo.database import Database

from edx_assets.edx.reports.courses import ReportCourse

CSV_COLUMNS = [
    # The old system's columns, in its order.
    "id", "name", "sme", "start_date", "end_date", "total_users", "active_users", "approved_users",
    "certified_users", "failed_users", "male", "female", "countries",
    # Added: verified counts analysts asked for.
    "other_gender", "unknown_gender", "active_enrollments", "unenrolled", "verified_enrollments",
    "certificates", "passing_grade", "in_latest_package",
    # Added: where the pass mark came from (`unknown`: approved_users is left empty).
    "passing_grade_source",
]
GENDERS = {"m": "male", "f": "female", "o": "other"}


def _count(db: Database, name: str, pipeline: list[dict]) -> int:
    rows = list(db[name].aggregate([*pipeline, {"$count": "n"}], allowDiskUse=True))
    return rows[0]["n"] if rows else 0


def _breakdown(db: Database, course: ReportCourse, field: str) -> dict[str, int]:
    """Distinct enrolled learners by a profile field (learners without a profile count as unknown)."""
    pipeline = [
        {"$group": {"_id": "$user_id"}},
        {"$lookup": {"from": course.collection("demographics"), "localField": "_id", "foreignField": "user_id",
                     "as": "p", "pipeline": [{"$limit": 1}, {"$project": {field: 1}}]}},
        {"$group": {"_id": {"$ifNull": [{"$first": f"$p.{field}"}, None]}, "n": {"$sum": 1}}},
    ]
    out: dict[str, int] = {}
    for row in db[course.collection("enrollments")].aggregate(pipeline, allowDiskUse=True):
        key = row["_id"] if row["_id"] not in (None, "") else "unknown"
        out[str(key)] = out.get(str(key), 0) + row["n"]
    return dict(sorted(out.items()))  # $group returns groups in no fixed order: fix it for the document


def course_summary(db: Database, course: ReportCourse) -> dict[str, Any]:
    """The `reports` document of one course (the old structure, with verified definitions)."""
    enrollments = course.collection("enrollments")
    total = db[enrollments].count_documents({})
    # Active: enrolled learners with at least one courseware record.
    active = _count(db, course.collection("courseware"), [
        {"$group": {"_id": "$student_id"}},
        {"$lookup": {"from": enrollments, "localField": "_id", "foreignField": "user_id", "as": "e",
                     "pipeline": [{"$limit": 1}]}},
        {"$match": {"e.0": {"$exists": True}}},
    ])
    # Approved: the grade reaches the course's pass mark (the old code counted every row). With no
    # known pass mark the figure is unknown (None, an empty CSV cell), not computed against a guess.
    mark = course.passing_grade
    certs = list(db[course.collection("certificates")].aggregate([{"$group": {
        "_id": None,
        "total": {"$sum": 1},
        "failed": {"$sum": {"$cond": [{"$eq": ["$status", "notpassing"]}, 1, 0]}},
        "certified": {"$sum": {"$cond": [{"$eq": ["$status", "downloadable"]}, 1, 0]}},
        "approved": {"$sum": {"$cond": [{"$gte": [{"$ifNull": ["$grade", -1]}, mark if mark is not None else 2]},
                                        1, 0]}},
    }}]))
    certs_row = certs[0] if certs else {"total": 0, "failed": 0, "certified": 0, "approved": 0}
    if mark is None:
        certs_row["approved"] = None
    gender_raw = _breakdown(db, course, "gender")
    gender: dict[str, int] = {}
    for key, n in gender_raw.items():
        label = GENDERS.get(key, "unknown")
        gender[label] = gender.get(label, 0) + n
    return {
        "_id": course.course_id,
        "metadata": {"name": course.name, "sme": course.sme, "start_date": course.start,
                     "end_date": course.end, "legacy_id": course.legacy_id, "prefix": course.prefix,
                     "passing_grade": course.passing_grade,
                     "passing_grade_source": course.passing_grade_source},
        "report": {
            "users": {
                "total": total,
                "active": active,
                "active_enrollments": db[enrollments].count_documents({"is_active": 1}),
                "verified_enrollments": db[enrollments].count_documents({"mode": "verified"}),
                "certificates": {"total": certs_row["total"], "failed": certs_row["failed"],
                                 "approved": certs_row["approved"], "certified": certs_row["certified"]},
            },
            "gender": gender,
            "education": _breakdown(db, course, "level_of_education"),
            "countries": {k: v for k, v in _breakdown(db, course, "country").items()},
        },
        "in_latest_package": course.in_latest_package,
    }


def csv_row(summary: dict[str, Any]) -> dict[str, Any]:
    users, gender, meta = summary["report"]["users"], summary["report"]["gender"], summary["metadata"]
    countries = [k for k in summary["report"]["countries"] if k != "unknown"]
    return {
        "id": summary["_id"], "name": meta["name"], "sme": meta["sme"],
        "start_date": meta["start_date"], "end_date": meta["end_date"],
        "total_users": users["total"], "active_users": users["active"],
        "approved_users": users["certificates"]["approved"], "certified_users": users["certificates"]["certified"],
        "failed_users": users["certificates"]["failed"], "male": gender.get("male", 0),
        "female": gender.get("female", 0), "countries": len(countries),
        "other_gender": gender.get("other", 0), "unknown_gender": gender.get("unknown", 0),
        "active_enrollments": users["active_enrollments"], "unenrolled": users["total"] - users["active_enrollments"],
        "verified_enrollments": users["verified_enrollments"], "certificates": users["certificates"]["total"],
        "passing_grade": meta["passing_grade"], "in_latest_package": summary["in_latest_package"],
        "passing_grade_source": meta["passing_grade_source"],
    }


def summaries(db: Database, courses: list[ReportCourse]) -> Iterator[dict[str, Any]]:
    for course in courses:
        yield course_summary(db, course)
