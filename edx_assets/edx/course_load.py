"""Load a decrypted weekly package into per-course MongoDB collections, all or nothing.

Every collection is first written aside (`<name>__staging_<token>`, with its indexes); only when every
course of the package has loaded are they renamed over the live ones (`renameCollection` with
`dropTarget`, atomic per collection). A bad file therefore leaves last week's collections untouched.
A package older than the one a course was last loaded from does not overwrite it.
"""

from __future__ import annotations

import csv
import re
import secrets
import tarfile
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
from edx_assets.edx.course_package import Manifest, ManifestFile
from edx_assets.edx.privacy import StorePolicy
from edx_assets.edx.replication import index_options
from edx_assets.edx.timestamps import parse_utc
from edx_assets.edx.tracking_log import escape_keys

CATALOG = "courses"
REJECTED = "courses_rejected"
ORG_CATALOG = "org_tables"  # per org-level collection: the package it was last loaded from, delivered or not
BATCH = 5000
STRUCTURE_SUFFIX = "structure"
# Where a course's pass mark came from (the catalog's `passing_grade_source`).
PASS_MARK_FROM_POLICY = "structure:grading_policy.GRADE_CUTOFFS"
PASS_MARK_FROM_CUTOFFS = "structure:grade_cutoffs"
PASS_MARK_FROM_COURSE_XML = "course_xml:policies/grading_policy.json"
PASS_MARK_UNKNOWN = "unknown"
FORUM_SUFFIX = "forum"
MAX_POLICY_BYTES = 16 * 1024**2  # a policy file is a few KB; anything this large is not one
_POLICY_RE = re.compile(r"(?:^|/)policies/(?P<run>[^/]+)/(?P<file>policy|grading_policy)\.json$")
# Every table a course's package may carry that the loader knows by name.
KNOWN_TABLES = {*layout.LOADED_TABLES, *layout.PACKAGE_TABLES, *layout.ROLE_TABLES, layout.STRUCTURE_TABLE,
                layout.FORUM_TABLE, layout.COURSE_XML_TABLE}
# Suffixes the loader writes itself: an unknown table of the same name is loaded as `table_<name>`.
RESERVED = {STRUCTURE_SUFFIX, FORUM_SUFFIX, layout.ROLES_SUFFIX, layout.POLICIES_SUFFIX,
            *layout.LOADED_TABLES.values(), *layout.PACKAGE_TABLES.values()}

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
    "grades_course": [IndexModel([("user_id", ASCENDING)], name="user_id")],
    "grades_subsection": [IndexModel([("user_id", ASCENDING)], name="user_id")],
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
    "grades_persistentcoursegrade": ["user_id", "percent_grade"],
    "grades_persistentsubsectiongrade": ["user_id", "usage_key"],
    "course_groups_cohortmembership": ["user_id", "name"],
    "user_api_usercoursetag": ["user_id", "key", "value"],
    "teams": ["id", "name"],
    "teams_membership": ["user_id", "team_id"],
    "student_anonymoususerid": ["user_id", "anonymous_user_id"],
    "email_opt_in": ["course_id", "is_opted_in_for_email"],
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
    grading_policy: dict[str, Any] = field(default_factory=dict)  # the OLX export's grading_policy.json
    # collection suffix -> (table, file relative to the package folder) of each table file loaded
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)
    delivered: list[str] = field(default_factory=list)  # tables the package carried for the course
    missing: list[str] = field(default_factory=list)  # known tables it did not carry (empty collections)


@dataclass
class PackageLoad:
    package_date: date
    courses: list[CourseLoad] = field(default_factory=list)
    not_in_package: list[str] = field(default_factory=list)
    org_rows: dict[str, int | None] = field(default_factory=dict)  # org-level collection -> rows (None: not delivered)


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
    # The core tables' own primary key (a repeated id refuses the package); the other tables' rows are keyed
    # by their line (edX's own acceptance dumps repeat wiki_article ids: every row is kept). Re-runs give the
    # same ids either way.
    has_id = "id" in header and (table in layout.LOADED_TABLES or table in layout.ROLE_TABLES)
    for line, row in sql_dump.iter_rows(path, table, stats, REQUIRED_COLUMNS.get(table)):
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


def _policy_docs(path: Path, run: str | None, load: CourseLoad) -> Iterator[dict]:
    """The OLX export's `policies/<run>/policy.json` and `grading_policy.json`, one document per file (keys
    escaped); the course run's grading policy is kept for the pass mark. Nothing else of the tarball is read."""
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            yield from _policy_members(archive, path, run, load)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ValueError(f"{path.name} is not a readable .tar.gz: {exc}") from None


def _policy_members(archive: tarfile.TarFile, path: Path, run: str | None, load: CourseLoad) -> Iterator[dict]:
    for member in archive:
        match = _POLICY_RE.search(member.name)
        if not match or not member.isfile():
            continue
        if member.size > MAX_POLICY_BYTES:
            raise ValueError(f"{path.name}: {member.name} holds {member.size} bytes: not a policy file")
        handle = archive.extractfile(member)
        try:
            content = orjson.loads(handle.read() if handle else b"")
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{path.name}: {member.name} is not valid JSON: {exc}") from None
        if match["file"] == "grading_policy" and isinstance(content, dict) and (
                not load.grading_policy or match["run"] == run):
            load.grading_policy = content
        yield escape_keys({"_id": f"{match['run']}/{match['file']}", "run": match["run"], "file": match["file"],
                           "path": member.name, "content": content})


def _opt_in_docs(path: Path, store: StorePolicy) -> Iterator[dict]:
    """The org's e-mail opt-in CSV (comma-separated, a header per chunk of courses: repeats are skipped)."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise sql_dump.HeaderError(f"{path.name} is empty: no header row")
        missing = sorted(set(REQUIRED_COLUMNS["email_opt_in"]) - set(header))
        if missing:
            raise sql_dump.HeaderError(f"{path.name}: header lacks column(s) {missing}; got {header[:12]}")
        for line, values in enumerate(reader, start=2):
            if values == header or not values:
                continue
            if len(values) != len(header):
                raise sql_dump.RaggedRowError(f"{path.name}, line {line}: {len(values)} fields where the header "
                                              f"has {len(header)}")
            row: dict[str, Any] = dict(zip(header, values, strict=True))
            if row.get("user_id", "").isdigit():
                row["user_id"] = int(row["user_id"])
            opted = row["is_opted_in_for_email"].strip().lower()
            row["is_opted_in_for_email"] = {"true": True, "false": False}.get(opted, row["is_opted_in_for_email"])
            if row.get("preference_set_datetime"):
                row["preference_set_datetime"] = parse_utc(row["preference_set_datetime"]) or row["preference_set_datetime"]
            row["_id"] = line
            yield store.row("email_opt_in", row)


def table_plan(manifest: Manifest, file_prefix: str) -> list[tuple[str, str, ManifestFile | None]]:
    """(collection suffix, table, file or None) of every table collection a course gets: the known tables
    (an empty collection when not delivered), then any other table file (as text), then the `ora/` files."""
    files = manifest.tables(file_prefix)
    plan: list[tuple[str, str, ManifestFile | None]] = [
        (suffix, table, files.get(table)) for table, suffix in {**layout.LOADED_TABLES, **layout.PACKAGE_TABLES}.items()]
    for table, entry in sorted(files.items()):
        if entry.kind == "table" and table not in {*layout.LOADED_TABLES, *layout.PACKAGE_TABLES, *layout.ROLE_TABLES}:
            suffix = layout.collection_suffix(table)
            plan.append((f"table_{suffix}" if suffix in RESERVED else suffix, table, entry))
    for table, entry in sorted(manifest.ora_tables(file_prefix).items()):
        plan.append((layout.collection_suffix(table, ora=True), table, entry))
    return plan


def _course_collections(manifest: Manifest, folder: Path, load: CourseLoad,
                        rejected: list[dict]) -> Iterator[tuple[str, Iterable[dict], str]]:
    """(collection suffix, documents, source named in errors) of every collection of the course."""
    for suffix, table, entry in table_plan(manifest, load.file_prefix):
        if entry is not None:
            load.sources[suffix] = (table, entry.path)
        yield suffix, (_table_docs(folder / entry.path, table, load) if entry else iter(())), (
            entry.member if entry else suffix)
    files = manifest.tables(load.file_prefix)
    yield layout.ROLES_SUFFIX, _role_docs(folder, files, load), layout.ROLES_SUFFIX
    run = load.file_prefix.rsplit("-", 1)[-1]
    for table, suffix, make in (
        (layout.STRUCTURE_TABLE, STRUCTURE_SUFFIX, lambda p: _structure_docs(p, load)),
        (layout.FORUM_TABLE, FORUM_SUFFIX, lambda p: _forum_docs(p, load, rejected)),
        (layout.COURSE_XML_TABLE, layout.POLICIES_SUFFIX, lambda p: _policy_docs(p, run, load)),
    ):
        entry = files.get(table)
        yield suffix, (make(folder / entry.path) if entry else iter(())), (entry.member if entry else suffix)


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


def passing_grade(structure: dict, grading_policy: dict | None = None) -> tuple[float | None, str]:
    """The course's pass mark and where it was found: the course block's metadata, else the OLX export's
    `policies/<run>/grading_policy.json` (where edX keeps it: `grading_policy` is content-scoped, so
    `dump_course_structure` usually leaves it out).

    Some structure exports carry it in `grading_policy.GRADE_CUTOFFS`, older tools a top-level `grade_cutoffs`.
    None present: `(None, "unknown")`, never an invented default.
    """
    policy = structure.get("grading_policy")
    for source, cutoffs in (
        (PASS_MARK_FROM_POLICY, policy.get("GRADE_CUTOFFS") if isinstance(policy, dict) else None),
        (PASS_MARK_FROM_CUTOFFS, structure.get("grade_cutoffs")),
        (PASS_MARK_FROM_COURSE_XML, (grading_policy or {}).get("GRADE_CUTOFFS")),
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
    ("passing_grade_source", "string", "structure:grading_policy.GRADE_CUTOFFS, structure:grade_cutoffs, "
                                       "course_xml:policies/grading_policy.json or unknown"),
    ("tables_delivered", "json", "the package's tables for the course (file table names), sorted"),
    ("tables_missing", "json", "known tables the package did not carry: their collections are empty (unknown)"),
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
            for suffix, docs, source in _course_collections(manifest, folder, load, rejected):
                name = f"{prefix}.{suffix}__staging_{token}"
                db.create_collection(name)
                started = time.perf_counter()
                load.rows[suffix] = _insert(db, name, docs, source)
                load.seconds[suffix] = round(time.perf_counter() - started, 3)
                course_staged[suffix] = name
            load.delivered = sorted({*files, *(f"ora/{t}" for t in manifest.ora_tables(file_prefix))})
            load.missing = sorted(KNOWN_TABLES - set(files))
            for suffix, name in course_staged.items():
                if INDEXES.get(suffix):
                    db[name].create_indexes(INDEXES[suffix], **index_options(db))
                staged.append((name, f"{prefix}.{suffix}"))
            load.course_id = (_course_id_from_rows(db, course_staged)
                              or _course_id_from_structure(load.structure)
                              or layout.parse_course_id(file_prefix.replace("-", "/", 2)))
        for table, suffix in layout.ORG_TABLES.items():
            entry = manifest.org_tables().get(table)
            known = db[ORG_CATALOG].find_one({"_id": suffix}, {"last_package": 1})
            if known and known.get("last_package", "") > package_date.isoformat():
                continue  # a newer package's rows are loaded
            name = f"{suffix}__staging_{token}"
            db.create_collection(name)
            rows = _insert(db, name, _opt_in_docs(folder / entry.path, store) if entry else iter(()),
                           entry.member if entry else suffix)
            result.org_rows[suffix] = rows if entry else None
            staged.append((name, suffix))
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
    for suffix, rows in result.org_rows.items():
        db[ORG_CATALOG].update_one({"_id": suffix}, {"$set": {
            "last_package": package_date.isoformat(), "rows": rows, "delivered": rows is not None}}, upsert=True)
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
        mark, mark_source = passing_grade(meta, load.grading_policy)
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
                "tables_delivered": load.delivered,
                "tables_missing": load.missing,
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


def dispositions(manifest: Manifest, result: PackageLoad) -> list[tuple[str, str, str]]:
    """(member, what it became, documents or why it was not loaded) for every member of the package."""
    loads = {c.file_prefix: c for c in result.courses}
    out = []
    for f in manifest.files:
        load = loads.get(f.course or "")
        if f.kind == "failed":
            out.append((f.member, "not loaded", "edX's export of this table failed (`.failed` traceback)"))
        elif f.kind == "org_table":
            suffix = layout.ORG_TABLES[f.table or ""]
            out.append((f.member, suffix, str(result.org_rows.get(suffix))))
        elif load is None or f.kind in {"unknown", "other"}:
            out.append((f.member, "not loaded", "not a file of the package's layout ({C}-{table}-{env}.{ext})"
                        if f.kind == "unknown" else f"a {f.path.rsplit('.', 1)[-1]} file no table of the package "
                                                    "is delivered as: kept on disk, listed here"))
        elif load.skipped_newer:
            out.append((f.member, "not loaded", f"a newer package ({load.skipped_newer}) of the course is loaded"))
        else:
            suffix = {layout.STRUCTURE_TABLE: STRUCTURE_SUFFIX, layout.FORUM_TABLE: FORUM_SUFFIX,
                      layout.COURSE_XML_TABLE: layout.POLICIES_SUFFIX, **{t: layout.ROLES_SUFFIX for t in layout.ROLE_TABLES},
                      **{table: s for s, (table, path) in load.sources.items() if path == f.path}}.get(f.table or "")
            if suffix is None:
                out.append((f.member, "not loaded", "no collection takes this file"))
            else:
                note = " (its policies/<run>/*.json; the rest of the export is not read)" if suffix == layout.POLICIES_SUFFIX else ""
                out.append((f.member, f"{load.prefix}.{suffix}", f"{load.rows.get(suffix, 0)}{note}"))
    return out
