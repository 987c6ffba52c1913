"""Instructor bundles: per course, its dashboard page and its own rows of every report file of the week, in its
own folder (`reports/{week}/courses/<course>/`), so a course team can be given exactly its course and nothing
of another.

A file is bundled when it has a course column (`course_id`; `general_report` says `id`, `enrollments_report`
`mooc_id`): the course's rows, the header and every byte of those rows as the report wrote them. Files with no
course column (learner_locations: one row per learner across courses) and files that stay on the platform
(integrity_signals) are not; the per-course `<course>_active_users.csv` copies are `active_users.csv`'s rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from edx_assets.edx.reports import catalog
from edx_assets.edx.reports.csv_out import write_frame
from edx_assets.edx.warehouse import LOCAL_ONLY, table_of

FOLDER = "courses"


@dataclass
class Bundle:
    course_id: str
    folder: Path
    files: dict[str, int] = field(default_factory=dict)  # file name -> the course's rows
    page: Path | None = None


def course_column(table: str, header: list[str]) -> str | None:
    """The column naming a row's course in `table`'s file, or None when it has none."""
    name = catalog.course_column(table)
    return name if name in header else None


def build(week_folder: Path, courses: dict[str, str], pages: dict[str, Path]) -> list[Bundle]:
    """Every course's bundle under `week_folder/courses/<slug>/` (`courses`: course id -> slug; `pages`: course
    id -> its dashboard page). A bundle is rebuilt whole: a file of last run that is no longer there goes."""
    bundles = {cid: Bundle(cid, week_folder / FOLDER / slug) for cid, slug in courses.items()}
    for bundle in bundles.values():
        bundle.folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(week_folder.glob("*.csv")):
        table = table_of(path.name)
        if table is None or table in LOCAL_ONLY:
            continue
        frame = pl.read_csv(path, infer_schema_length=0)  # every cell as the report wrote it
        column = course_column(table, frame.columns)
        if column is None:
            continue
        for cid, bundle in bundles.items():
            mine = frame.filter(pl.col(column) == cid)
            bundle.files[path.name] = write_frame(bundle.folder / path.name, mine, frame.columns).rows
    for cid, bundle in bundles.items():
        page = pages.get(cid)
        if page is not None and page.exists():
            bundle.page = bundle.folder / page.name
            _copy(page, bundle.page)
        kept = {*bundle.files, *([bundle.page.name] if bundle.page else [])}
        for stale in bundle.folder.iterdir():
            if stale.name not in kept:
                stale.unlink()
    return list(bundles.values())


def _copy(source: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(source.read_bytes())
    partial.replace(target)
