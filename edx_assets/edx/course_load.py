"""Load a decrypted weekly package into per-course MongoDB collections, all or nothing.

Every collection is first written aside (`<name>__staging_<token>`, with its indexes); only when every
course of the package has loaded are they renamed over the live ones (`renameCollection` with
`dropTarget`, atomic per collection). A bad file therefore leaves last week's collections untouched.
A package older than the one a course was last loaded from does not overwrite it.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from bson import json_util
from bson.errors import BSONError
from pymongo import ASCENDING, IndexModel
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from edx_assets.edx import layout, sql_dump
from edx_assets.edx.course_package import Manifest
from edx_assets.edx.privacy import StorePolicy
from edx_assets.edx.timestamps import parse_utc
from edx_assets.edx.tracking_log import escape_keys

CATALOG = "courses"
REJECTED = "courses_rejected"
BATCH = 5000
STRUCTURE_SUFFIX = "structure"
# Where a course's pass mark came from (the catalog's `passing_grade_source`).
PASS_MARK_FROM_POLICY = "structure:grading_policy.GRADE_CUTOFFS"
PASS_MARK_FROM_CUTOFFS = "structure:grade_cutoffs"
PASS_MARK_UNKNOWN = "unknown"
FORUM_SUFFIX = "forum"

INDEXES: dict[str, list[IndexModel]] = {
    "users": [IndexModel([("id", ASCENDING)], name="id"), IndexModel([("username", ASCENDING)], name="username")],
    "demographics": [IndexModel([("user_id", ASCENDING)], name="user_id")],
    "certificates": [IndexModel([("user_id", ASCENDING)], name="user_id")],
    "courseware": [IndexModel([("student_id", ASCENDING)], name="student_id"),
                   IndexModel([("module_id", ASCENDING)], name="module_id")],
    "enrollments": [IndexModel([("user_id", ASCENDING)], name="user_id")],
    "userIDs": [IndexModel([("user_id", ASCENDING)], name="user_id"),
                IndexModel([("username", ASCENDING)], name="username")],
    STRUCTURE_SUFFIX: [IndexModel([("category", ASCENDING)], name="category")],
    FORUM_SUFFIX: [IndexModel([("author_id", ASCENDING)], name="author_id")],
    layout.ROLES_SUFFIX: [IndexModel([("user_id", ASCENDING)], name="user_id")],
}
# Columns each loaded table must have (a wrong header is refused).
REQUIRED_COLUMNS = {
    "auth_user": ["id", "username"],
    "auth_userprofile": ["user_id"],
    "certificates_generatedcertificate": ["user_id", "course_id", "status"],
    "courseware_studentmodule": ["student_id", "module_id"],
    "student_courseenrollment": ["user_id", "course_id"],
    "user_id_map": ["user_id", "username"],
    "student_courseaccessrole": ["user_id", "role"],
    "django_comment_client_role_users": ["user_id"],
}
STAGING_RE = re.compile(r"__staging_[0-9a-f]+$")


class DuplicateRowError(ValueError):
    pass


@dataclass
class CourseLoad:
    file_prefix: str
    prefix: str
    course_id: layout.CourseId | None
    rows: dict[str, int] = field(default_factory=dict)  # collection suffix -> documents
    seconds: dict[str, float] = field(default_factory=dict)  # collection suffix -> load time
    untyped_values: dict[str, int] = field(default_factory=dict)
    store: StorePolicy = field(default_factory=StorePolicy)  # EDX_STORE_PII: what of personal data is stored
    rejoined_lines: int = 0
    forum_rejected: int = 0
    skipped_newer: date | None = None  # a newer package of this course is already loaded
    structure: dict[str, Any] = field(default_factory=dict)  # the course block's metadata


@dataclass
class PackageLoad:
    package_date: date
    courses: list[CourseLoad] = field(default_factory=list)
    not_in_package: list[str] = field(default_factory=list)


def _insert(db: Database, name: str, documents: Iterable[dict], source: str) -> int:
    count = 0
    batch: list[dict] = []
    collection = db[name]
    for doc in documents:
        batch.append(doc)
        if len(batch) >= BATCH:
            count += _flush(collection, batch, source)
    if batch:
        count += _flush(collection, batch, source)
    return count


def _flush(collection, batch: list[dict], source: str) -> int:
    try:
        collection.insert_many(batch, ordered=False)
    except BulkWriteError as exc:
        first = exc.details["writeErrors"][0]
        key = batch[first["index"]].get("_id")
        if first.get("code") == 11000:
            raise DuplicateRowError(f"{source}: the id {key!r} appears on more than one row") from None
        raise ValueError(f"{source}: MongoDB refused the row with id {key!r}: {first.get('errmsg', '')[:200]}") from None
    count = len(batch)
    batch.clear()
    return count


def _table_docs(path: Path, table: str, load: CourseLoad) -> Iterator[dict]:
    stats = sql_dump.ReadStats()
    header = sql_dump.read_header(path)
    has_id = "id" in header
    for line, row in sql_dump.iter_rows(path, table, stats, REQUIRED_COLUMNS.get(table)):
        # The table's own primary key when it has one, else the row's line: re-runs give the same ids.
        row["_id"] = row["id"] if has_id and isinstance(row.get("id"), int) else line
        yield load.store.row(table, row)
    load.rejoined_lines += stats.rejoined_lines
    for column, n in stats.untyped_values.items():
        key = f"{table}.{column}"
        load.untyped_values[key] = load.untyped_values.get(key, 0) + n


def _role_docs(folder: Path, files: dict, load: CourseLoad) -> Iterator[dict]:
    """Both role tables as one collection: `source` (course / forum), `role` (the forum table's `name`; a
    forum row carrying only a `role_id` keeps it as `role_id:<n>`, never dropped), `user_id`, and the row."""
    for table, source in layout.ROLE_TABLES.items():
        entry = files.get(table)
        if entry is None:
            continue
        header = sql_dump.read_header(folder / entry.path)
        if not {"role", "name", "role_id"} & set(header):
            raise sql_dump.HeaderError(f"{entry.member}: header names no role (role, name or role_id); got {header[:12]}")
        for row in _table_docs(folder / entry.path, table, load):
            role = row.get("role") or row.get("name") or f"role_id:{row.get('role_id')}"
            yield {**row, "_id": f"{source}:{row['_id']}", "source": source, "role": role}


def _structure_docs(path: Path, load: CourseLoad) -> Iterator[dict]:
    try:
        blocks = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path.name} is not valid JSON: {exc}") from None
    if not isinstance(blocks, dict):
        raise ValueError(f"{path.name}: expected an object keyed by block id")
    for order, (block_id, block) in enumerate(blocks.items()):
        block = block if isinstance(block, dict) else {"value": block}
        metadata = block.get("metadata") if isinstance(block.get("metadata"), dict) else {}
        if block.get("category") == "course":
            load.structure = {"block_id": block_id, **metadata}
        yield escape_keys({
            "_id": block_id, "order": order, "category": block.get("category"),
            "display_name": metadata.get("display_name"), "children": block.get("children", []),
            "metadata": metadata, **{k: v for k, v in block.items() if k not in {"category", "children", "metadata"}},
        })


def _forum_docs(path: Path, load: CourseLoad, rejected: list[dict]) -> Iterator[dict]:
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            text = raw.strip()
            if not text:
                continue
            try:
                doc = json_util.loads(text)  # $oid, $date (ISO or epoch millis) -> BSON types
            except (ValueError, TypeError, BSONError):
                try:  # e.g. a malformed $oid: keep the document with the raw values
                    doc = orjson.loads(text)
                except orjson.JSONDecodeError as exc:
                    load.forum_rejected += 1
                    rejected.append({"file": path.name, "line": line_no, "reason": f"not JSON: {exc}",
                                     "raw": load.store.text(text[:65536].decode("utf-8", errors="replace"))})
                    continue
            if not isinstance(doc, dict):
                load.forum_rejected += 1
                rejected.append({"file": path.name, "line": line_no, "reason": "not a JSON object",
                                 "raw": load.store.text(text[:65536].decode("utf-8", errors="replace"))})
                continue
            doc = load.store.forum(escape_keys(doc))
            doc.setdefault("_id", f"line-{line_no}")
            if isinstance(doc["_id"], dict):
                doc["_id"] = orjson.dumps(doc["_id"]).decode()
            yield doc


def _course_id_from_rows(db: Database, staged: dict[str, str]) -> layout.CourseId | None:
    for suffix, field_name in (("enrollments", "course_id"), ("courseware", "course_id"),
                               ("certificates", "course_id")):
        name = staged.get(suffix)
        if name:
            doc = db[name].find_one({field_name: {"$type": "string"}}, {field_name: 1})
            if doc and (cid := layout.parse_course_id(doc[field_name])):
                return cid
    return None


def _course_id_from_structure(structure: dict) -> layout.CourseId | None:
    block = structure.get("block_id", "")
    match = re.match(r"block-v1:([^+]+)\+([^+]+)\+([^+]+)\+type@course", block)
    if match:
        return layout.CourseId(*match.groups())
    match = re.match(r"i4x://([^/]+)/([^/]+)/course/([^/]+)", block)
    return layout.CourseId(*match.groups()) if match else None


def _lowest_cutoff(cutoffs: Any) -> float | None:
    """The pass mark of a cutoffs object (`{"Pass": 0.6}`; letter grades give several: the lowest)."""
    if not isinstance(cutoffs, dict):
        return None
    values = [float(v) for v in cutoffs.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return min(values) if values else None


def passing_grade(structure: dict) -> tuple[float | None, str]:
    """The course's pass mark and where it was found, from the course block's metadata.

    edX's structure export carries it in `grading_policy.GRADE_CUTOFFS`; some exports (and older tools)
    use a top-level `grade_cutoffs`. Neither present: `(None, "unknown")`, never an invented default.
    """
    policy = structure.get("grading_policy")
    for source, cutoffs in (
        (PASS_MARK_FROM_POLICY, policy.get("GRADE_CUTOFFS") if isinstance(policy, dict) else None),
        (PASS_MARK_FROM_CUTOFFS, structure.get("grade_cutoffs")),
    ):
        mark = _lowest_cutoff(cutoffs)
        if mark is not None:
            return mark, source
    return None, PASS_MARK_UNKNOWN


# The `courses` catalog's columns as the UI shows them: (field, type, definition).
CATALOG_COLUMNS: list[tuple[str, str, str]] = [
    ("_id", "string", "course-v1 id (the prefix when no id could be found)"),
    ("course_id", "string", "course-v1 id"),
    ("legacy_id", "string", "Org/Num/Run id"),
    ("org", "string", "the course's org as edX writes it"),
    ("file_prefix", "string", "{Org}-{Course}-{Run} prefix of the package's file names"),
    ("prefix", "string", "collection prefix users know (idb4_1x_2015_t4)"),
    ("display_name", "string", "course name from the structure"),
    ("start", "datetime", "course start (structure)"),
    ("end", "datetime", "course end (structure)"),
    ("passing_grade", "float", "pass mark, 0-1: lowest GRADE_CUTOFFS of the grading policy; null if unknown"),
    ("passing_grade_source", "string", "structure:grading_policy.GRADE_CUTOFFS, structure:grade_cutoffs or unknown"),
    ("row_counts", "json", "documents per collection suffix in the last load"),
    ("first_package", "date", "first weekly package the course was in"),
    ("last_package", "date", "latest weekly package the course was loaded from"),
    ("in_latest_package", "boolean", "the course was in the latest package"),
    ("loaded_at", "datetime", "when the course was last loaded"),
    ("store_pii", "string", "EDX_STORE_PII of the last load: keep, pseudonymize or minimize"),
]


def drop_stale_staging(db: Database) -> list[str]:
    """Staging collections left by a crashed run."""
    stale = [name for name in db.list_collection_names() if STAGING_RE.search(name)]
    for name in stale:
        db.drop_collection(name)
    return stale


def load_package(db: Database, manifest: Manifest, folder: Path, package_date: date,
                 org: str | None = None, store: StorePolicy | None = None) -> PackageLoad:
    """Load every course of the package (see the module's text); `store`: EDX_STORE_PII (default keep)."""
    store = store or StorePolicy()
    drop_stale_staging(db)
    token = secrets.token_hex(4)
    result = PackageLoad(package_date)
    staged: list[tuple[str, str]] = []  # (staging, live)
    rejected: list[dict] = []
    catalog = db[CATALOG]
    try:
        for file_prefix in manifest.courses:
            prefix = layout.collection_prefix(file_prefix, org)
            load = CourseLoad(file_prefix, prefix, None, store=store)
            result.courses.append(load)
            known = catalog.find_one({"prefix": prefix}, {"last_package": 1})
            if known and known.get("last_package") and known["last_package"] > package_date.isoformat():
                load.skipped_newer = date.fromisoformat(known["last_package"])
                continue
            files = manifest.tables(file_prefix)
            course_staged: dict[str, str] = {}
            for table, suffix in layout.LOADED_TABLES.items():
                name = f"{prefix}.{suffix}__staging_{token}"
                db.create_collection(name)
                entry = files.get(table)
                docs = _table_docs(folder / entry.path, table, load) if entry else iter(())
                started = time.perf_counter()
                load.rows[suffix] = _insert(db, name, docs, entry.member if entry else name)
                load.seconds[suffix] = round(time.perf_counter() - started, 3)
                course_staged[suffix] = name
            name = f"{prefix}.{layout.ROLES_SUFFIX}__staging_{token}"
            db.create_collection(name)
            load.rows[layout.ROLES_SUFFIX] = _insert(db, name, _role_docs(folder, files, load), name)
            course_staged[layout.ROLES_SUFFIX] = name
            for table, suffix, make in (
                (layout.STRUCTURE_TABLE, STRUCTURE_SUFFIX, lambda p, ld: _structure_docs(p, ld)),
                (layout.FORUM_TABLE, FORUM_SUFFIX, lambda p, ld: _forum_docs(p, ld, rejected)),
            ):
                name = f"{prefix}.{suffix}__staging_{token}"
                db.create_collection(name)
                entry = files.get(table)
                docs = make(folder / entry.path, load) if entry else iter(())
                load.rows[suffix] = _insert(db, name, docs, entry.member if entry else name)
                course_staged[suffix] = name
            for suffix, name in course_staged.items():
                if INDEXES.get(suffix):
                    db[name].create_indexes(INDEXES[suffix])
                staged.append((name, f"{prefix}.{suffix}"))
            load.course_id = (_course_id_from_rows(db, course_staged)
                              or _course_id_from_structure(load.structure)
                              or layout.parse_course_id(file_prefix.replace("-", "/", 2)))
    except BaseException:
        for name, _ in staged:
            db.drop_collection(name)
        for name in db.list_collection_names():
            if name.endswith(f"__staging_{token}"):
                db.drop_collection(name)
        raise
    # Everything loaded: swap it in, collection by collection (each rename is atomic).
    for name, live in staged:
        db[name].rename(live, dropTarget=True)
    _update_catalog(db, result, rejected)
    return result


def _update_catalog(db: Database, result: PackageLoad, rejected: list[dict]) -> None:
    catalog = db[CATALOG]
    package = result.package_date.isoformat()
    now = datetime.now(UTC)
    for load in result.courses:
        if load.skipped_newer:
            continue
        cid = load.course_id
        meta = load.structure
        mark, mark_source = passing_grade(meta)
        catalog.update_one(
            {"_id": cid.v1 if cid else load.prefix},
            {"$set": {
                "course_id": cid.v1 if cid else None,
                "legacy_id": cid.legacy if cid else None,
                "org": cid.org if cid else load.file_prefix.split("-", 1)[0],
                "file_prefix": load.file_prefix,
                "prefix": load.prefix,
                "display_name": meta.get("display_name"),
                "start": parse_utc(meta.get("start")),
                "end": parse_utc(meta.get("end")),
                "passing_grade": mark,
                "passing_grade_source": mark_source,
                "last_package": package,
                "row_counts": load.rows,
                "store_pii": load.store.mode,
                "loaded_at": now,
            }, "$min": {"first_package": package}},
            upsert=True,
        )
    latest = max((d["last_package"] for d in catalog.find({}, {"last_package": 1}) if d.get("last_package")),
                 default=package)
    catalog.update_many({}, [{"$set": {"in_latest_package": {"$eq": ["$last_package", latest]}}}])
    result.not_in_package = sorted(d["_id"] for d in catalog.find({"in_latest_package": False}, {"_id": 1}))
    db[REJECTED].delete_many({"package": package})
    if rejected:
        db[REJECTED].insert_many([{**r, "package": package} for r in rejected])
