"""course_axis: the course outline, one row per block in course order (edx2bigquery's `course_axis`).

edx2bigquery builds it from the OLX export (`edx2course_axis.py`, `make_axis`); this project builds it from the
package's course structure (`dump_course_structure`, the same block tree, loaded as `<course>.structure`), with
edx2bigquery's rules: `index` counts blocks depth-first in the children's order from the course root, 1 first;
`path` is `/<chapter>` for a chapter, `/<chapter>/<sequential>` for a sequential and the parent's path plus the
block's 1-based position among its siblings below that; `module_id` is `org/number/category/url_name` (no run,
whatever the id form: `block-v1:` and `i4x://` resolve alike, blocks.key); `format` (gformat), `graded`, `due`
and `start` are inherited from the nearest block up the tree that sets them (edx2bigquery's `Policy.get_metadata`
InheritedSettings), a start never earlier than the parent's.
Added: names of the block's chapter, sequential and vertical, the assignment type's weight from the grading
policy, the problem's max score (courseware_studentmodule) and the video's duration (what its events reported,
else the structure's), and blocks the outline does not reach (in_outline 0, after the others: never dropped).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
import pyarrow as pa
from pymongo.database import Database

from edx_assets.edx import blocks, layout
from edx_assets.edx.reports import frames
from edx_assets.edx.reports.courses import ReportCourse
from edx_assets.edx.timestamps import parse_utc

COLUMNS = ["course_id", "index", "block_id", "module_id", "url_name", "category", "name", "path", "depth",
           "parent", "chapter_mid", "chapter_name", "sequential_name", "vertical_name", "gformat", "graded", "due",
           "start", "assignment_type_weight", "problem_weight", "max_score", "video_duration", "is_split",
           "split_url_name", "in_outline"]
INHERITED = ("format", "graded", "due", "start")  # edx2bigquery's InheritedSettings (hide_from_toc aside)
_METADATA = pa.struct([("format", pa.string()), ("graded", pa.string()), ("due", pa.string()),
                       ("start", pa.string()), ("weight", pa.string()), ("duration", pa.string())])
STRUCTURE_READ = {"_id": frames.TEXT, "order": frames.INT, "category": frames.TEXT, "display_name": frames.TEXT,
                  "children": frames.TEXT_LIST}


def _metadata(db: Database, course: ReportCourse) -> dict[str, dict[str, Any]]:
    """block id -> the settings the axis reads, as set on that block (any JSON type: read without a schema)."""
    fields = {f"metadata.{k}": 1 for k in (*INHERITED, "weight", "duration")}
    return {d["_id"]: d.get("metadata") or {} for d in db[course.collection("structure")].find({}, fields)}


def _when(value: Any) -> datetime | None:
    moment = value if isinstance(value, datetime) else parse_utc(value)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _graded(value: Any) -> int | None:
    if value is None:
        return None
    return 1 if value is True or str(value).strip().lower() == "true" else 0


def walk(structure: pl.DataFrame) -> list[dict[str, Any]]:
    """The structure's blocks in course order, each with index, depth, path, parent and its chapter /
    sequential / vertical ancestors' ids; blocks the tree does not reach follow (in_outline 0)."""
    ordered = structure.sort("order")
    ids = ordered.get_column("_id").to_list()
    category = dict(zip(ids, ordered.get_column("category").to_list(), strict=True))
    children = {b: [c for c in (kids or []) if c in category]
                for b, kids in zip(ids, ordered.get_column("children").to_list(), strict=True)}
    is_child = {c for kids in children.values() for c in kids}
    roots = [b for b in ids if category[b] == "course"] or [b for b in ids if b not in is_child]
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    stack: list[tuple[str, dict[str, Any]]] = [(r, {"depth": 0, "path": [], "parent": None, "position": 1})
                                               for r in reversed(roots)]
    while stack:
        block, at = stack.pop()
        if block in seen:  # a block listed under two parents appears once, where it is first reached
            continue
        seen.add(block)
        kind, name = category[block], blocks.key(block) or block
        if kind == "chapter":
            path = [name]
        elif kind in {"sequential", "problemset", "videosequence"}:
            path = [*at["path"][:1], name]
        elif kind == "course":
            path = []
        else:
            path = [*at["path"], str(at["position"])]
        row = {"block_id": block, "category": kind, "depth": at["depth"], "path": "/" + "/".join(path),
               "parent": at["parent"], "in_outline": 1,
               **{k: at.get(k) for k in ("chapter", "sequential", "vertical", "split")}}
        for level in ("chapter", "sequential", "vertical"):
            if kind == level:
                row[level] = block
        if kind == "split_test":
            row["split"] = block
        rows.append(row)
        inherited = {k: row.get(k) for k in ("chapter", "sequential", "vertical", "split")}
        for position, child in reversed(list(enumerate(children[block], start=1))):
            stack.append((child, {"depth": at["depth"] + 1, "path": path, "parent": block, "position": position,
                                  **inherited}))
    rows += [{"block_id": b, "category": category[b], "depth": None, "path": None, "parent": None, "in_outline": 0}
             for b in ids if b not in seen]
    for index, row in enumerate(rows, start=1):
        row["index"] = index
    return rows


def axis_frame(db: Database, course: ReportCourse, weights: dict[str, float],
               durations: dict[str, tuple[float, str]]) -> pl.DataFrame:
    """The course's axis (COLUMNS): `weights` is assignment type -> its weight in the grading policy,
    `durations` video key -> (seconds, source) (engagement.durations)."""
    structure = frames.read(db, course.collection("structure"), STRUCTURE_READ)
    if structure.height == 0:
        return pl.DataFrame(schema={c: pl.String for c in COLUMNS})
    names = dict(zip(structure.get_column("_id").to_list(), structure.get_column("display_name").to_list(),
                     strict=True))
    metadata = _metadata(db, course)
    rows = walk(structure)
    cid = layout.parse_course_id(course.course_id)
    max_scores = frames.read(db, course.collection("courseware"), {"module_id": frames.TEXT, "max_grade": frames.FLOAT})
    max_score = dict(max_scores.group_by(blocks.key_expr(pl.col("module_id")).alias("key"))
                     .agg(pl.col("max_grade").max()).iter_rows())
    settled: dict[str, dict[str, Any]] = {}
    for row in rows:  # parents come first: each block inherits from its parent's settled values
        block = row["block_id"]
        own, above = metadata.get(block, {}), settled.get(row["parent"] or "", {})
        values = {k: own[k] if own.get(k) not in (None, "") else above.get(k) for k in INHERITED}
        start, parent_start = _when(values["start"]), _when(above.get("start"))
        if start and parent_start and start < parent_start:
            values["start"] = parent_start
        settled[block] = values
        url_name = blocks.key(block)
        gformat = values["format"] or None
        duration = durations.get(url_name or "") if row["category"] == "video" else None
        row.update({
            "course_id": course.course_id, "url_name": url_name, "name": names.get(block),
            "module_id": f"{cid.org}/{cid.number}/{row['category']}/{url_name}" if cid else None,
            "chapter_mid": _module_id(cid, "chapter", row.get("chapter")),
            "chapter_name": names.get(row.get("chapter") or ""),
            "sequential_name": names.get(row.get("sequential") or ""),
            "vertical_name": names.get(row.get("vertical") or ""),
            "parent": blocks.key(row["parent"]) if row["parent"] else None,
            "gformat": gformat, "graded": _graded(values["graded"]), "due": _when(values["due"]),
            "start": _when(values["start"]),
            "assignment_type_weight": weights.get(gformat) if gformat else None,
            "problem_weight": _number(own.get("weight")) if row["category"] == "problem" else None,
            "max_score": max_score.get(url_name) if row["category"] == "problem" else None,
            "video_duration": duration[0] if duration else None,
            "is_split": 1 if row.get("split") and row.get("split") != block else 0,
            "split_url_name": blocks.key(row["split"]) if row.get("split") and row.get("split") != block else None,
        })
    return pl.DataFrame(rows, schema_overrides={"due": pl.Datetime("us"), "start": pl.Datetime("us"),
                                                "max_score": pl.Float64, "video_duration": pl.Float64,
                                                "assignment_type_weight": pl.Float64, "problem_weight": pl.Float64,
                                                "graded": pl.Int64, "depth": pl.Int64},
                        infer_schema_length=None).select(COLUMNS)


def _module_id(cid: layout.CourseId | None, category: str, block: str | None) -> str | None:
    return f"{cid.org}/{cid.number}/{category}/{blocks.key(block)}" if cid and block else None
