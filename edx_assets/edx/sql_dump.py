"""edX's `.sql` table dumps: tab-separated text, one header row, no quoting.

`NULL` is SQL NULL; `\\\\`, `\\t`, `\\n`, `\\r` are escaped backslash, TAB, LF and CR. Rows are typed by
table: integer and boolean columns become numbers (booleans 0/1), dates become datetimes, grades floats.
A value that does not fit its column's type is kept as text and counted, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from edx_assets.edx.timestamps import parse_utc

INT, BOOL, FLOAT, DATETIME = "int", "bool", "float", "datetime"

# Column types by table; columns not listed stay text.
SCHEMAS: dict[str, dict[str, str]] = {
    "auth_user": {
        "id": INT, "is_staff": BOOL, "is_active": BOOL, "is_superuser": BOOL, "last_login": DATETIME,
        "date_joined": DATETIME, "show_country": BOOL, "date_of_birth": DATETIME,
        "consecutive_days_visit_count": INT,
    },
    "auth_userprofile": {
        "id": INT, "user_id": INT, "year_of_birth": INT, "profile_image_uploaded_at": DATETIME,
    },
    "student_courseenrollment": {"id": INT, "user_id": INT, "created": DATETIME, "is_active": BOOL},
    "certificates_generatedcertificate": {
        "id": INT, "user_id": INT, "grade": FLOAT, "distinction": BOOL, "created_date": DATETIME,
        "modified_date": DATETIME,
    },
    "courseware_studentmodule": {
        "id": INT, "student_id": INT, "grade": FLOAT, "max_grade": FLOAT, "created": DATETIME,
        "modified": DATETIME,
    },
    "user_id_map": {"user_id": INT, "id": INT},
    "student_courseaccessrole": {"id": INT, "user_id": INT},
    "django_comment_client_role_users": {"id": INT, "user_id": INT, "role_id": INT},
    # the package's other tables (edx-analytics-exporter's SELECTs; see docs/edx-package.md)
    "grades_persistentcoursegrade": {"id": INT, "user_id": INT, "percent_grade": FLOAT, "passed_timestamp": DATETIME,
                                     "created": DATETIME, "modified": DATETIME},
    "grades_persistentsubsectiongrade": {
        "id": INT, "user_id": INT, "earned_all": FLOAT, "possible_all": FLOAT, "earned_graded": FLOAT,
        "possible_graded": FLOAT, "first_attempted": DATETIME, "created": DATETIME, "modified": DATETIME},
    "course_groups_cohortmembership": {"id": INT, "user_id": INT},
    "user_api_usercoursetag": {"id": INT, "user_id": INT},
    "teams": {"id": INT, "date_created": DATETIME, "last_activity_at": DATETIME, "team_size": INT,
              "organization_protected": BOOL},
    "teams_membership": {"id": INT, "user_id": INT, "team_id": INT, "date_joined": DATETIME,
                         "last_activity_at": DATETIME},
    "student_anonymoususerid": {"id": INT, "user_id": INT},
    "student_languageproficiency": {"id": INT, "user_profile_id": INT},
    "credit_crediteligibility": {"id": INT, "created": DATETIME, "modified": DATETIME, "deadline": DATETIME},
    "verify_student_verificationstatus": {"timestamp": DATETIME, "user_id": INT},
    "wiki_article": {"id": INT, "current_revision_id": INT, "owner_id": INT, "group_id": INT, "created": DATETIME,
                     "modified": DATETIME, "group_read": BOOL, "group_write": BOOL, "other_read": BOOL,
                     "other_write": BOOL},
    "wiki_articlerevision": {"id": INT, "revision_number": INT, "user_id": INT, "previous_revision_id": INT,
                             "article_id": INT, "created": DATETIME, "modified": DATETIME, "deleted": BOOL,
                             "locked": BOOL},
    # ora/ (edx-submissions and edx-ora2 tables)
    "submissions_studentitem": {"id": INT},
    "submissions_submission": {"id": INT, "attempt_number": INT, "submitted_at": DATETIME, "created_at": DATETIME,
                               "student_item_id": INT},
    "submissions_score": {"id": INT, "points_earned": INT, "points_possible": INT, "created_at": DATETIME,
                          "reset": BOOL, "student_item_id": INT, "submission_id": INT},
    "assessment_assessment": {"id": INT, "scored_at": DATETIME, "rubric_id": INT},
    "assessment_assessmentpart": {"id": INT, "assessment_id": INT, "option_id": INT, "criterion_id": INT},
    "workflow_assessmentworkflow": {"id": INT, "created": DATETIME, "modified": DATETIME, "status_changed": DATETIME},
}

_ESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r", "0": "\x00"}
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)


class RaggedRowError(ValueError):
    """A row whose number of fields does not match the header, even after rejoining split lines."""


class HeaderError(ValueError):
    """The header row is missing or not what the table should have."""


def unescape(value: str) -> str:
    if "\\" not in value:
        return value
    return _ESCAPE_RE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), value)


def _datetime(text: str) -> datetime:
    moment = parse_utc(text)
    if moment is None:
        raise ValueError(text)
    return moment


def _bool(text: str) -> int:
    if text not in {"0", "1"}:
        raise ValueError(text)
    return int(text)


_CONVERTERS = {INT: int, BOOL: _bool, FLOAT: float, DATETIME: _datetime}


@dataclass
class ReadStats:
    rows: int = 0
    rejoined_lines: int = 0  # raw line breaks inside values, repaired
    untyped_values: dict[str, int] = field(default_factory=dict)  # column -> values kept as text
    invalid_utf8_lines: int = 0


def _lines(path: Path, stats: ReadStats) -> Iterator[tuple[int, str]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            raw = raw.removesuffix(b"\n").removesuffix(b"\r")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                stats.invalid_utf8_lines += 1
                text = raw.decode("utf-8", errors="replace")
            yield number, text


def read_header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline().decode("utf-8", errors="replace").rstrip("\r\n")
    return first.split("\t") if first else []


def iter_rows(path: Path, table: str, stats: ReadStats | None = None,
              expected_columns: list[str] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, typed row) for each data row of `path`."""
    stats = stats if stats is not None else ReadStats()
    lines = _lines(path, stats)
    try:
        _, header_line = next(lines)
    except StopIteration:
        raise HeaderError(f"{path.name} is empty: no header row") from None
    header = header_line.split("\t")
    if len(set(header)) != len(header) or any(not h for h in header):
        raise HeaderError(f"{path.name}: header row has empty or repeated column names: {header_line[:200]!r}")
    if expected_columns and not set(expected_columns) <= set(header):
        missing = sorted(set(expected_columns) - set(header))
        raise HeaderError(f"{path.name}: header lacks column(s) {missing}; got {header[:12]}")
    schema = SCHEMAS.get(table, {})
    width = len(header)
    pending: tuple[int, list[str]] | None = None
    for number, text in lines:
        if not text and pending is None and width > 1:
            continue  # a blank line between rows (e.g. at the end of the file) holds no row
        fields = text.split("\t")
        if pending is not None:
            start, head = pending
            # A raw line break inside a value: the previous line's last field continues here.
            fields = [*head[:-1], head[-1] + "\n" + fields[0], *fields[1:]]
            stats.rejoined_lines += 1
            number_for_row = start
        else:
            number_for_row = number
        if len(fields) < width:
            pending = (number_for_row, fields)
            continue
        pending = None
        if len(fields) > width:
            raise RaggedRowError(
                f"{path.name}, line {number}: {len(fields)} fields where the header has {width}"
            )
        yield number_for_row, _typed(header, fields, schema, stats)
        stats.rows += 1
    if pending is not None:
        raise RaggedRowError(
            f"{path.name}, line {pending[0]}: {len(pending[1])} fields where the header has {width} "
            "(the file ends inside this row)"
        )


def _typed(header: list[str], fields: list[str], schema: dict[str, str], stats: ReadStats) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, raw in zip(header, fields, strict=True):
        if raw == "NULL":
            row[name] = None
            continue
        value = unescape(raw)
        kind = schema.get(name)
        if kind is None:
            row[name] = value
        elif value == "":
            row[name] = None
        else:
            try:
                row[name] = _CONVERTERS[kind](value)
            except (ValueError, OverflowError):
                stats.untyped_values[name] = stats.untyped_values.get(name, 0) + 1
                row[name] = value
    return row
