"""The master file: one row per learner per course (the old MASTERFILE_<date>_.csv)."""

from __future__ import annotations

import polars as pl
from pymongo.database import Database

from edx_assets.edx.reports import roles
from edx_assets.edx.reports.courses import ReportCourse
from edx_assets.edx.reports.learners import enrollment_frame

COLUMNS = [
    "course_id", "course_name", "user_id", "username", "name", "email", "gender", "year_of_birth",
    "level_of_education", "country", "ip_country", "enrollment_date", "mode", "is_active",
    "progress", "courseware_records", "grade", "certificate_status", "certificate_mode",
    "ip_country_modal",  # added: the country of the learner's most frequent IP
    *roles.COLUMNS,  # added: course roles (edx2bigquery's roles table)
    "grade_source",  # added: where the grade came from (the persistent course grade, else the certificate)
]


def master_frame(db: Database, course: ReportCourse, locations: pl.DataFrame) -> pl.DataFrame:
    return enrollment_frame(db, course, locations)
