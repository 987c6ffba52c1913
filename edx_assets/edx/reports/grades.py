"""Grades: the course's grading policy, every learner's course grade and subsection grades.

The course grade is edX's persistent grade (`grades_persistentcoursegrade`, computed for every learner whose
grade was ever computed, certificate or not); where a learner has none (an old course's export carries no such
table) the certificate's grade stands in, and the source says which. Passing is edX's own decision where it
exists (`passed_timestamp` set), else the certificate grade against the course's pass mark (unknown, not 0,
when the course states none). edx2bigquery loads the same two tables (`make_grades_persistent.py`:
`grades_persistent`, `grades_persistent_subsection`) and its person_course takes the certificate grade
(`make_person_course.py`); the persistent grade comes first here because it exists for every learner.
"""

from __future__ import annotations

from typing import Any

import orjson
import polars as pl
from pymongo.database import Database

from edx_assets.edx import blocks
from edx_assets.edx.reports import frames
from edx_assets.edx.reports.courses import ReportCourse

PERSISTENT = "grades_persistentcoursegrade"
CERTIFICATE = "certificate"
POLICY_COLUMNS = ["course_id", "assignment_type", "name", "short_label", "fraction_of_overall_grade", "min_count",
                  "drop_count", "passing_grade", "grade_cutoffs", "policy_source"]
GRADE_COLUMNS = ["grade", "letter_grade", "passed", "passed_at", "grade_source", "percent_grade",
                 "certificate_grade", "certificate_status", "certificate_mode", "grading_policy_hash", "grade_modified"]
PERSON_GRADES_COLUMNS = ["course_id", "user_id", "username", "mode", "is_active", "enrolled", *GRADE_COLUMNS]
SUBSECTION_COLUMNS = ["course_id", "user_id", "block_id", "index", "chapter_name", "sequential_name", "gformat",
                      "graded", "due", "earned_all", "possible_all", "earned_graded", "possible_graded", "attempted",
                      "first_attempted"]
GRADES_READ = {"user_id": frames.INT, "percent_grade": frames.FLOAT, "letter_grade": frames.TEXT,
               "passed_timestamp": frames.TIME, "grading_policy_hash": frames.TEXT, "modified": frames.TIME}
SUBSECTIONS_READ = {"user_id": frames.INT, "usage_key": frames.TEXT, "earned_all": frames.FLOAT,
                    "possible_all": frames.FLOAT, "earned_graded": frames.FLOAT, "possible_graded": frames.FLOAT,
                    "first_attempted": frames.TIME}


def source_of(course: ReportCourse) -> str:
    """Where the course's grades come from: its package's persistent grades, else its certificates, else
    `unknown` (the package carried neither table)."""
    if PERSISTENT not in course.tables_missing:
        return PERSISTENT
    return "unknown" if "certificates_generatedcertificate" in course.tables_missing else CERTIFICATE


def pass_decidable(course: ReportCourse) -> bool:
    """Whether anything can say a learner passed: edX's persistent grades (their passed_timestamp), or a pass
    mark to hold a certificate grade against. Where not, a pass (and its count) is unknown, not 0."""
    return course.passing_grade is not None or source_of(course) == PERSISTENT


def grading_policy(db: Database, course: ReportCourse) -> tuple[dict[str, Any] | None, str]:
    """The course's grading policy (GRADER, GRADE_CUTOFFS) and where it was found: the OLX export's
    `policies/<run>/grading_policy.json` (the course's run first), else the structure's course block
    (older exports); (None, "unknown") when neither has one."""
    run = course.course_id.rsplit("+", 1)[-1]
    found = sorted(db[course.collection("policies")].find({"file": "grading_policy"}),
                   key=lambda d: (d.get("run") != run, d["_id"]))
    if found and isinstance(found[0].get("content"), dict):
        return found[0]["content"], f"course_xml:{found[0]['path']}"
    block = db[course.collection("structure")].find_one({"category": "course"}, {"metadata.grading_policy": 1})
    policy = ((block or {}).get("metadata") or {}).get("grading_policy")
    if isinstance(policy, dict):
        return policy, "structure:grading_policy"
    return None, "unknown"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def policy_frame(course: ReportCourse, policy: dict[str, Any] | None, source: str) -> pl.DataFrame:
    """edx2bigquery's `grading_policy` (make_grading_policy_table.py): one row per GRADER entry, `type` as
    assignment_type, `weight` as fraction_of_overall_grade, `name` defaulting to the type; the cutoffs as one
    JSON column (edx2bigquery spreads them into overall_cutoff_for_<letter> columns that vary by course) and
    the course's pass mark. A course without a policy has one row saying so (policy_source unknown)."""
    cutoffs = (policy or {}).get("GRADE_CUTOFFS")
    cutoffs_text = orjson.dumps(dict(sorted(cutoffs.items(), key=lambda kv: -(_number(kv[1]) or 0))),
                                ).decode() if isinstance(cutoffs, dict) else None
    base = {"course_id": course.course_id, "passing_grade": course.passing_grade, "grade_cutoffs": cutoffs_text,
            "policy_source": source}
    graders = [g for g in (policy or {}).get("GRADER") or [] if isinstance(g, dict)]
    rows = [{**base, "assignment_type": g.get("type"), "name": g.get("name") or g.get("type"),
             "short_label": g.get("short_label"), "fraction_of_overall_grade": _number(g.get("weight")),
             "min_count": _number(g.get("min_count")), "drop_count": _number(g.get("drop_count"))} for g in graders]
    schema = {c: pl.String for c in POLICY_COLUMNS} | {"fraction_of_overall_grade": pl.Float64, "min_count": pl.Int64,
                                                        "drop_count": pl.Int64, "passing_grade": pl.Float64}
    return pl.DataFrame(rows or [base], schema=schema).select(POLICY_COLUMNS)


def assignment_weights(policy: dict[str, Any] | None) -> dict[str, float]:
    """assignment type -> its weight in the course grade."""
    return {g["type"]: w for g in (policy or {}).get("GRADER") or []
            if isinstance(g, dict) and g.get("type") and (w := _number(g.get("weight"))) is not None}


def course_grades(db: Database, course: ReportCourse) -> pl.DataFrame:
    """Per learner with a persistent grade or a certificate (user_id, GRADE_COLUMNS): grade (the persistent
    percent_grade, else the certificate's grade), letter_grade, passed (1/0: the persistent grade's
    passed_timestamp is set; for a certificate grade, the grade reaches the pass mark, empty when the course
    states none), passed_at, grade_source (grades_persistentcoursegrade or certificate), and both sources."""
    persistent = frames.first_per(frames.read(db, course.collection("grades_course"), GRADES_READ)
                                  .sort("modified", descending=True, nulls_last=True), "user_id")
    # The latest certificate (modified last; the higher id on a tie), as the old `$sort` + `$limit` meant.
    certificates = frames.first_per(
        frames.read(db, course.collection("certificates"), frames.CERTIFICATES)
        .sort(["modified_date", "id"], descending=True, nulls_last=True), "user_id").select(
        "user_id", pl.col("grade").alias("certificate_grade"), pl.col("status").alias("certificate_status"),
        pl.col("mode").alias("certificate_mode"))
    joined = persistent.join(certificates, on="user_id", how="full", coalesce=True)
    has_persistent = pl.col("percent_grade").is_not_null()
    mark = course.passing_grade
    by_certificate = (pl.lit(None, dtype=pl.Int64) if mark is None
                      else (pl.col("certificate_grade") >= mark).cast(pl.Int64))
    return joined.with_columns(
        pl.coalesce("percent_grade", "certificate_grade").alias("grade"),
        pl.when(pl.col("letter_grade") != "").then(pl.col("letter_grade")).alias("letter_grade"),
        pl.when(has_persistent).then(pl.col("passed_timestamp").is_not_null().cast(pl.Int64))
        .when(pl.col("certificate_grade").is_not_null()).then(by_certificate).alias("passed"),
        pl.col("passed_timestamp").alias("passed_at"),
        pl.when(has_persistent).then(pl.lit(PERSISTENT))
        .when(pl.col("certificate_grade").is_not_null()).then(pl.lit(CERTIFICATE)).alias("grade_source"),
        pl.col("modified").alias("grade_modified"),
    ).select("user_id", *GRADE_COLUMNS)


def person_grades_frame(db: Database, course: ReportCourse) -> pl.DataFrame:
    """Every enrollment of the course and every learner with a grade row but no enrollment (never dropped),
    with the course grade (`course_grades`): PERSON_GRADES_COLUMNS."""
    enrolled = frames.first_per(frames.read(db, course.collection("enrollments"), frames.ENROLLMENTS), "user_id")
    users = frames.first_per(frames.read(db, course.collection("users"), frames.USERS), "id").select(
        pl.col("id").alias("user_id"), "username")
    return (enrolled.select("user_id", "mode", "is_active", pl.lit(1).alias("enrolled"))
            .join(course_grades(db, course), on="user_id", how="full", coalesce=True)
            .join(users, on="user_id", how="left")
            .with_columns(pl.lit(course.course_id).alias("course_id"), pl.col("enrolled").fill_null(0))
            .sort("user_id").select(PERSON_GRADES_COLUMNS))


def subsection_frame(db: Database, course: ReportCourse, axis: pl.DataFrame) -> pl.DataFrame:
    """Every row of the course's grades_persistentsubsectiongrade joined to the axis on the subsection's
    block (either id form): SUBSECTION_COLUMNS, attempted = first_attempted is set; a subsection the axis
    does not hold keeps its row with empty outline columns."""
    rows = frames.read(db, course.collection("grades_subsection"), SUBSECTIONS_READ)
    outline = axis.filter(pl.col("category") == "sequential").select(
        "url_name", "index", "chapter_name", pl.col("name").alias("sequential_name"), "gformat", "graded", "due")
    return (rows.with_columns(blocks.key_expr(pl.col("usage_key")).alias("url_name"))
            .join(outline, on="url_name", how="left")
            .with_columns(pl.lit(course.course_id).alias("course_id"), pl.col("usage_key").alias("block_id"),
                          pl.col("first_attempted").is_not_null().cast(pl.Int64).alias("attempted"))
            .sort(["user_id", "index"], nulls_last=True).select(SUBSECTION_COLUMNS))
