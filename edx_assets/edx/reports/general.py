"""The cross-course "colecciones generales": one summary per course (the `reports` collection) and
`general_report.csv` with the old columns plus verified counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
from pymongo.database import Database

from edx_assets.edx.reports import frames, grades
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
    # Added: where the grades approved_users counts come from (grades.py).
    "grade_source",
]
GENDERS = {"m": "male", "f": "female", "o": "other"}


def _breakdown(enrolled: pl.DataFrame, profiles: pl.DataFrame, field: str) -> dict[str, int]:
    """Distinct enrolled learners by a profile field (no profile, or an empty value, counts as unknown)."""
    counts = (enrolled.join(profiles.select("user_id", field), on="user_id", how="left")
              .with_columns(pl.col(field).cast(pl.String).fill_null("").replace("", "unknown"))
              .group_by(field).len())
    return dict(sorted(zip(counts.get_column(field).to_list(), counts.get_column("len").to_list(), strict=True)))


def course_summary(db: Database, course: ReportCourse) -> dict[str, Any]:
    """The `reports` document of one course (the old structure, with verified definitions), computed in
    polars from the course's enrollments, courseware, certificates and demographics."""
    enrollments = frames.read(db, course.collection("enrollments"), frames.ENROLLMENTS)
    enrolled = enrollments.select("user_id").unique()
    profiles = frames.first_per(frames.read(db, course.collection("demographics"), frames.PROFILES), "user_id")
    # Active: enrolled learners with at least one courseware record.
    studied = frames.read(db, course.collection("courseware"), {"student_id": frames.INT}).get_column("student_id")
    active = enrolled.filter(pl.col("user_id").is_in(studied.unique().implode())).height
    certificates = frames.read(db, course.collection("certificates"), frames.CERTIFICATES)
    status = certificates.get_column("status")
    # Approved: enrolled learners whose course grade passes (grades.course_grades: edX's persistent grade and
    # its pass, else the certificate grade against the pass mark; the old code counted every certificate
    # row). Unknown (None, an empty CSV cell) when nothing can say: no persistent grades and no pass mark.
    source = grades.source_of(course)
    passed = grades.course_grades(db, course).filter(pl.col("user_id").is_in(enrolled.get_column("user_id").implode()))
    approved = int((passed.get_column("passed") == 1).sum()) if grades.pass_decidable(course) else None
    gender: dict[str, int] = {}
    for key, n in _breakdown(enrolled, profiles, "gender").items():
        label = GENDERS.get(key, "unknown")
        gender[label] = gender.get(label, 0) + n
    return {
        "_id": course.course_id,
        "metadata": {"name": course.name, "sme": course.sme, "start_date": course.start,
                     "end_date": course.end, "legacy_id": course.legacy_id, "prefix": course.prefix,
                     "passing_grade": course.passing_grade,
                     "passing_grade_source": course.passing_grade_source, "grade_source": source},
        "report": {
            "users": {
                "total": enrollments.height,
                "active": active,
                "active_enrollments": int((enrollments.get_column("is_active") == 1).sum()),
                "verified_enrollments": int((enrollments.get_column("mode") == "verified").sum()),
                "certificates": {"total": certificates.height, "failed": int((status == "notpassing").sum()),
                                 "approved": approved, "certified": int((status == "downloadable").sum())},
            },
            "gender": gender,
            "education": _breakdown(enrolled, profiles, "level_of_education"),
            "countries": _breakdown(enrolled, profiles, "country"),
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
        "grade_source": meta.get("grade_source"),
    }


def summaries(db: Database, courses: list[ReportCourse]) -> Iterator[dict[str, Any]]:
    for course in courses:
        yield course_summary(db, course)
