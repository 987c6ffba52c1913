"""Replace one partition's documents in a collection shared by every partition (learner_day, learner_totals).

Every document has a stable id and carries the version of the partition's content. A write upserts each
document by id, then deletes the partition's documents of any other version. So a reader never sees a row
twice, a re-run with the same input rewrites identical documents, and a crash part-way leaves a mix that
the next run completes. A standalone mongod has no multi-document transactions; this needs none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from pymongo import IndexModel, ReplaceOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from edx_assets.edx.replication import index_options

BATCH = 2000


@dataclass(frozen=True)
class Replaced:
    rows: int
    version: str
    removed_stale: int


def version_of(frame: pl.DataFrame) -> str:
    """A fingerprint of the rows: identical rows (same polars release) give the same version."""
    digest = hashlib.sha256(str(frame.schema).encode())
    if frame.height:
        digest.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def replace_partition(db: Database, collection: str, field: str, value: str, frame: pl.DataFrame,
                      id_of: Callable[[dict], str], indexes: list[IndexModel]) -> Replaced:
    """Make the documents with `field == value` exactly the rows of `frame` (plus `_id`, `version`)."""
    target = db[collection]
    target.create_indexes(indexes, **index_options(db))
    version = version_of(frame)
    # A partition written for the first time is inserted (cheaper than upserts); a re-run replaces by id.
    fresh = target.find_one({field: value}, {"_id": 1}) is None
    batch: list = []

    def flush() -> None:
        if not fresh:
            target.bulk_write(batch, ordered=False)
        else:
            try:
                target.insert_many(batch, ordered=False)
            except BulkWriteError:  # another run inserted some of them meanwhile: replace by id instead
                target.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in batch], ordered=False)
        batch.clear()

    for row in frame.iter_rows(named=True):
        doc = {"_id": id_of(row), **row, "version": version}
        batch.append(doc if fresh else ReplaceOne({"_id": doc["_id"]}, doc, upsert=True))
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    removed = target.delete_many({field: value, "version": {"$ne": version}}).deleted_count
    return Replaced(rows=frame.height, version=version, removed_stale=removed)


def mark_week(db: Database, collection: str, week: str, done: Replaced) -> None:
    """Record a carried table's week as computed, after its rows (what the next week starts from)."""
    db[collection + "_weeks"].replace_one({"_id": week}, {"_id": week, "version": done.version, "rows": done.rows},
                                          upsert=True)


def week_done(db: Database, collection: str, week: str) -> bool:
    """Whether `mark_week` recorded this week of the carried table."""
    return db[collection + "_weeks"].find_one({"_id": week}, {"_id": 1}) is not None
