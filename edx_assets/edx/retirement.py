"""Learner retirement: who is retired, and every stored trace of them.

edX retires a learner in its delivery by replacing the username and e-mail in `auth_user` with
`retired__user_<hash>` (and `retired__user_<hash>@retired.invalid`); a partner may also have to honour a
deletion request of its own (EDX_RETIRED_LEARNERS_FILE: one user id per line). The user id stays the key
to every trace: the events (`_edx.user_id`), the learner tables, the learner locations and each course's
collections.

Retired ids are registered (`retired_learners`, one document per user id) and purged once, when first
registered: the purge of `Eventos` reads every day (a collection scan unless the opt-in `user_time` index
exists), so it is not repeated. Loads of events skip registered ids (an old day loaded again does not bring
them back) and count them, and the weekly course load is followed by the purge before any report runs.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from pymongo import UpdateOne
from pymongo.database import Database

from edx_assets.edx import event_protection, eventos_reads
from edx_assets.edx import eventos_schema as ev
from edx_assets.edx.privacy import RETIRED_PREFIX
from edx_assets.edx.reports.csv_out import write_csv

REGISTRY = "retired_learners"
# Each course collection (suffix) and the field holding the learner's user id.
USER_FIELDS = {"users": "id", "demographics": "user_id", "certificates": "user_id", "courseware": "student_id",
               "enrollments": "user_id", "userIDs": "user_id", "roles": "user_id",
               # the package's other per-learner tables
               "grades_course": "user_id", "grades_subsection": "user_id", "cohorts": "user_id",
               "user_tags": "user_id", "team_members": "user_id", "anonymous_ids": "user_id",
               "verification_status": "user_id", "wiki_revisions": "user_id"}
FORUM = "forum"  # the forum dump: `author_id` is a string, and votes list voters' ids as strings
LEARNER_TABLES = ("learner_day", "learner_totals", "learner_ips")
LOCATIONS = "learner_locations"  # one document per learner, `_id` = user id
CATALOG = "courses"
EMAIL_OPT_IN = "email_opt_in"  # the org's e-mail opt-in rows (layout.ORG_TABLES)


def read_file(path: Path) -> set[int]:
    """User ids listed one per line (blank lines and `#` comments allowed); a line that is not a user id
    is refused naming the file and the line."""
    ids = set()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path.name}: not UTF-8 text (byte {exc.start}); expected one user id per line") from None
    for number, line in enumerate(text.splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if not (text.isascii() and text.isdigit()):
            raise ValueError(f"{path.name}, line {number}: {text!r} is not a user id (one number per line)")
        ids.add(int(text))
    return ids


def course_prefixes(db: Database) -> list[str]:
    return sorted(doc["prefix"] for doc in db[CATALOG].find({}, {"prefix": 1}) if doc.get("prefix"))


def retired_in_packages(db: Database) -> set[int]:
    """User ids whose `auth_user` row edX has retired (username or e-mail `retired__user_…`), in any course."""
    query = {"$or": [{"username": {"$regex": f"^{RETIRED_PREFIX}"}}, {"email": {"$regex": f"^{RETIRED_PREFIX}"}}]}
    found: set[int] = set()
    for prefix in course_prefixes(db):
        found.update(int(doc["id"]) for doc in db[f"{prefix}.users"].find(query, {"id": 1}) if doc.get("id") is not None)
    return found


def _event_targets(ids: list[int], events: str) -> list[tuple[str, dict]]:
    """(collection, filter) of the learners' events and quarantined lines (found by the user id they carry)."""
    pattern = event_protection.USER_ID_IN_TEXT + "(" + "|".join(str(i) for i in ids) + r")\b"
    return [(events, {ev.USER_ID: {"$in": ids}}), (f"{events}_rejected", {"raw": {"$regex": pattern}})]


def _other_targets(db: Database, ids: list[int]) -> list[tuple[str, dict]]:
    """(collection, filter) of every other place a learner of `ids` is stored."""
    places = [(table, {"user_id": {"$in": ids}}) for table in LEARNER_TABLES]
    places.append((LOCATIONS, {"_id": {"$in": ids}}))
    places.append((EMAIL_OPT_IN, {"user_id": {"$in": ids}}))
    for prefix in course_prefixes(db):
        places += [(f"{prefix}.{suffix}", {field: {"$in": ids}}) for suffix, field in USER_FIELDS.items()]
        places.append((f"{prefix}.{FORUM}", {"author_id": {"$in": [str(i) for i in ids]}}))
    return places


def _voted(ids: list[int]) -> dict:
    as_text = [str(i) for i in ids]
    return {"$or": [{"votes.up": {"$in": as_text}}, {"votes.down": {"$in": as_text}}]}


def purge(db: Database, ids: Iterable[int], events: str = "Eventos",
          event_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Delete every document of the learners `ids`; their ids are also pulled from other learners' forum
    votes (the vote counts recomputed). `event_ids` (default: all of `ids`) limits the purge of `Eventos`,
    a scan of every day, to the learners not purged from it before. Returns the documents deleted per
    collection (collections with none left out)."""
    wanted = sorted(set(ids))
    from_events = wanted if event_ids is None else sorted(set(event_ids))
    deleted = {}
    places = _other_targets(db, wanted) if wanted else []
    if from_events:
        _count_in_load_records(db, from_events, events)
        places = _event_targets(from_events, events) + places
    for collection, query in places:
        count = db[collection].delete_many(query).deleted_count
        if count:
            deleted[collection] = count
    if wanted:
        as_text = [str(i) for i in wanted]
        for prefix in course_prefixes(db):
            forum = db[f"{prefix}.{FORUM}"]
            touched = [doc["_id"] for doc in forum.find(_voted(wanted), {"_id": 1})]
            if touched:
                forum.update_many({"_id": {"$in": touched}},
                                  {"$pull": {"votes.up": {"$in": as_text}, "votes.down": {"$in": as_text}}})
                forum.update_many({"_id": {"$in": touched}}, [{"$set": {
                    "votes.up_count": {"$size": "$votes.up"}, "votes.down_count": {"$size": "$votes.down"},
                    "votes.count": {"$add": [{"$size": "$votes.up"}, {"$size": "$votes.down"}]},
                    "votes.point": {"$subtract": [{"$size": "$votes.up"}, {"$size": "$votes.down"}]}}}])
                deleted[f"{prefix}.{FORUM} votes"] = len(touched)
    return deleted


def remaining(db: Database, ids: Iterable[int], events: str = "Eventos",
              event_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Documents still holding a learner of `ids`, per collection (empty when none remain): for the check.
    `event_ids` (default: all of `ids`) limits the look into `Eventos`, as for `purge`."""
    wanted = sorted(set(ids))
    from_events = wanted if event_ids is None else sorted(set(event_ids))
    places = (_event_targets(from_events, events) if from_events else []) + (
        _other_targets(db, wanted) if wanted else [])
    left = {collection: db[collection].count_documents(query) for collection, query in places}
    if wanted:
        for prefix in course_prefixes(db):
            left[f"{prefix}.{FORUM} votes"] = db[f"{prefix}.{FORUM}"].count_documents(_voted(wanted))
    return {collection: n for collection, n in left.items() if n}


def _count_in_load_records(db: Database, ids: list[int], events: str) -> None:
    """Each day's load record counts the retired learners' events and quarantined lines apart (no longer
    `stored` or `rejected`), so that the day's checks still account for every line of its file, and a
    re-run of the day is not a reload."""
    (_, stored), (quarantine, rejected) = _event_targets(ids, events)
    counts = [("stored", db[events].aggregate([{"$match": stored}, {"$group": {
                  "_id": ev.ref(ev.PARTITION), "n": {"$sum": 1}}}])),
              ("rejected", db[quarantine].aggregate([{"$match": rejected}, {"$group": {
                  "_id": "$partition", "n": {"$sum": 1}}}]))]
    updates = [UpdateOne({"_id": eventos_reads.marker_id(events, day["_id"])},
                         {"$inc": {field: -day["n"], "retired": day["n"]}}) for field, days in counts for day in days]
    if updates:
        db[eventos_reads.LOADS_COLLECTION].bulk_write(updates)


def registered(db: Database) -> frozenset[int]:
    """Every retired user id registered so far (the loads skip their events)."""
    return frozenset(doc["_id"] for doc in db[REGISTRY].find({}, {"_id": 1}))


def register(db: Database, found: Mapping[int, str], week: str) -> list[int]:
    """Register the retired ids `found` (id -> where it was found: `edx` or the file's name); returns the
    ids not registered before, in order (the ones to purge)."""
    known = registered(db)
    new = sorted(i for i in found if i not in known)
    if new:
        now = datetime.now(UTC)
        db[REGISTRY].insert_many([{"_id": i, "source": found[i], "week": week, "registered": now} for i in new])
    return new


def record_purge(db: Database, ids: Iterable[int], deleted: Mapping[str, int]) -> None:
    """The registry keeps when each learner was purged (the counts are the asset's metadata)."""
    db[REGISTRY].update_many({"_id": {"$in": sorted(set(ids))}}, {"$set": {"purged": datetime.now(UTC),
                                                                         "collections": len(deleted)}})



def clean_report_files(root: Path, ids: Iterable[int]) -> dict[str, int]:
    """Remove the learners `ids` from the report files already written under `root` (every week's CSV and
    Parquet files that have a `user_id` column): rows removed per file (relative path). Each file is
    rewritten aside and renamed over; the other rows keep their exact text."""
    wanted = {str(i) for i in ids}
    removed: dict[str, int] = {}
    if not wanted or not root.exists():
        return removed
    for path in sorted(root.rglob("*.csv")):
        n = _clean_csv(path, wanted)
        if n:
            removed[str(path.relative_to(root))] = n
    numbers = [int(i) for i in wanted]
    for path in sorted(root.rglob("*.parquet")):
        if "user_id" not in pl.read_parquet_schema(path):
            continue
        frame = pl.read_parquet(path)
        kept = frame.filter(~pl.col("user_id").cast(pl.Int64, strict=False).is_in(numbers))
        if kept.height < frame.height:
            partial = path.with_name(path.name + ".part")
            kept.write_parquet(partial)
            os.replace(partial, path)
            removed[str(path.relative_to(root))] = frame.height - kept.height
    return removed


def _clean_csv(path: Path, wanted: set[str]) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, None)
        if not header or "user_id" not in header:
            return 0
        column = header.index("user_id")
        kept, removed = [], 0
        for row in rows:
            if len(row) > column and row[column] in wanted:
                removed += 1
            else:
                kept.append(row)
    if removed:  # written as every report file is (the other rows' text is the same)
        write_csv(path, header, (dict(zip(header, row, strict=False)) for row in kept))
    return removed
