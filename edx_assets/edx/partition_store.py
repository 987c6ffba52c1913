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
    target.create_indexes(indexes)
    version = version_of(frame)
    batch: list[ReplaceOne] = []
    for row in frame.iter_rows(named=True):
        batch.append(ReplaceOne({"_id": id_of(row)}, {"_id": id_of(row), **row, "version": version}, upsert=True))
        if len(batch) >= BATCH:
            target.bulk_write(batch, ordered=False)
            batch.clear()
    if batch:
        target.bulk_write(batch, ordered=False)
    removed = target.delete_many({field: value, "version": {"$ne": version}}).deleted_count
    return Replaced(rows=frame.height, version=version, removed_stale=removed)
