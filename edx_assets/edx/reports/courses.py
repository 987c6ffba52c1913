"""The courses a report covers: the `courses` catalog, overlaid with the user's optional metadata file.

The metadata file (EDX_COURSE_METADATA_FILE) is a CSV with a header and any of the columns
`course_id,name,sme,start_date,end_date,passing_grade`; `course_id` may be in either id form. It replaces
the hand-typed JavaScript list of the old system: courses without a row still appear, with the
catalog's name and dates.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pymongo.database import Database

from edx_assets.edx import layout

DEFAULT_PASSING_GRADE = 0.5  # edX's default "Pass" cutoff when a course states none


@dataclass(frozen=True)
class ReportCourse:
    course_id: str  # course-v1 form
    legacy_id: str | None
    prefix: str
    name: str | None
    sme: str | None
    start: datetime | str | None
    end: datetime | str | None
    passing_grade: float
    in_latest_package: bool

    def collection(self, suffix: str) -> str:
        return f"{self.prefix}.{suffix}"


def read_metadata_file(path: str | None) -> dict[str, dict[str, str]]:
    if not path:
        return {}
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"EDX_COURSE_METADATA_FILE {file} does not exist")
    out: dict[str, dict[str, str]] = {}
    with file.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            cid = layout.parse_course_id(row.get("course_id", ""))
            if cid is None:
                raise ValueError(f"{file.name}, line {line}: {row.get('course_id')!r} is not a course id")
            out[cid.v1] = {k: (v or "").strip() for k, v in row.items() if k}
    return out


def report_courses(db: Database, metadata_file: str | None = None) -> list[ReportCourse]:
    overrides = read_metadata_file(metadata_file)
    courses = []
    for entry in db.courses.find({}, sort=[("_id", 1)]):
        extra = overrides.get(entry["_id"], {})
        passing = extra.get("passing_grade") or entry.get("passing_grade")
        courses.append(ReportCourse(
            course_id=entry["_id"],
            legacy_id=entry.get("legacy_id"),
            prefix=entry["prefix"],
            name=extra.get("name") or entry.get("display_name"),
            sme=extra.get("sme") or None,
            start=extra.get("start_date") or entry.get("start"),
            end=extra.get("end_date") or entry.get("end"),
            passing_grade=float(passing) if passing not in (None, "") else DEFAULT_PASSING_GRADE,
            in_latest_package=bool(entry.get("in_latest_package", True)),
        ))
    return courses
