"""The courses a report covers: the `courses` catalog, overlaid with the user's optional metadata file.

The metadata file (EDX_COURSE_METADATA_FILE) is a CSV with a header and any of the columns
`course_id,name,sme,start_date,end_date,passing_grade`; `course_id` may be in either id form. It replaces
the hand-typed JavaScript list of the old system: courses without a row still appear, with the
catalog's name and dates.

The pass mark is never invented: the course structure's `grading_policy.GRADE_CUTOFFS`, else its
`grade_cutoffs` (both recorded in the catalog by the course load), else the metadata file's
`passing_grade`; with none of them it is unknown (None), and the figures that need it are left empty.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pymongo.database import Database

from edx_assets.edx import layout
from edx_assets.edx.course_load import PASS_MARK_FROM_CUTOFFS, PASS_MARK_UNKNOWN

PASS_MARK_FROM_METADATA_FILE = "metadata_file"


@dataclass(frozen=True)
class ReportCourse:
    course_id: str  # course-v1 form
    legacy_id: str | None
    prefix: str
    name: str | None
    sme: str | None
    start: datetime | str | None
    end: datetime | str | None
    passing_grade: float | None  # None: no source states it (see passing_grade_source)
    passing_grade_source: str
    in_latest_package: bool
    tables_missing: tuple[str, ...] = ()  # known package tables the course's last package did not carry

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
            values = {k: (v or "").strip() for k, v in row.items() if k}
            if values.get("passing_grade"):
                values["passing_grade"] = _pass_mark(values["passing_grade"], f"{file.name}, line {line}")
            out[cid.v1] = values
    return out


def _pass_mark(text: str, where: str) -> float:
    try:
        mark = float(text)
    except ValueError:
        mark = -1.0
    if not 0 < mark <= 1:
        raise ValueError(f"{where}: passing_grade {text!r} is not a share between 0 and 1 (e.g. 0.6)")
    return mark


def pass_mark(entry: dict, extra: dict) -> tuple[float | None, str]:
    """The catalog's pass mark (from the structure), else the metadata file's, else unknown."""
    if entry.get("passing_grade") is not None:
        return float(entry["passing_grade"]), entry.get("passing_grade_source") or PASS_MARK_FROM_CUTOFFS
    if extra.get("passing_grade"):
        return float(extra["passing_grade"]), PASS_MARK_FROM_METADATA_FILE
    return None, PASS_MARK_UNKNOWN


def report_courses(db: Database, metadata_file: str | None = None) -> list[ReportCourse]:
    overrides = read_metadata_file(metadata_file)
    courses = []
    for entry in db.courses.find({}, sort=[("_id", 1)]):
        extra = overrides.get(entry["_id"], {})
        mark, mark_source = pass_mark(entry, extra)
        courses.append(ReportCourse(
            course_id=entry["_id"],
            legacy_id=entry.get("legacy_id"),
            prefix=entry["prefix"],
            name=extra.get("name") or entry.get("display_name"),
            sme=extra.get("sme") or None,
            start=extra.get("start_date") or entry.get("start"),
            end=extra.get("end_date") or entry.get("end"),
            passing_grade=mark,
            passing_grade_source=mark_source,
            in_latest_package=bool(entry.get("in_latest_package", True)),
            tables_missing=tuple(entry.get("tables_missing") or ()),
        ))
    return courses
