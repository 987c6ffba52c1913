"""Reading `Eventos` by load: each day's load record, the days loaded completely, and disjoint `_id`
ranges for reading one day's documents with several cursors at once."""

from __future__ import annotations

import itertools

from pymongo.database import Database

LOADS_COLLECTION = "_edx_loads"


def id_ranges(partition: str, load_id: str, parts: int = 2) -> list[dict]:
    """`_id` conditions splitting one load's documents into `parts` disjoint ranges that cover them all
    (ids are `{partition}:{load}:{line}`: the line's first digits split them, `;` sorts after every digit),
    for reading a day with several cursors at once."""
    cuts = {1: ["0"], 2: ["0", "5"], 3: ["0", "3", "6"], 4: ["0", "25", "5", "75"]}[parts] + [";"]
    prefix = f"{partition}:{load_id}:"
    return [{"_id": {"$gte": prefix + low, "$lt": prefix + high}} for low, high in itertools.pairwise(cuts)]


def marker_id(collection: str, partition: str) -> str:
    return f"{collection}:{partition}"


def loaded_days(db: Database, collection: str, before: str) -> list[str]:
    """The days before `before` whose file was loaded completely into `collection` (its load records),
    whether or not any event of them counts as a learner's activity."""
    prefix = f"{collection}:"
    ids = db[LOADS_COLLECTION].distinct("_id", {"_id": {"$gte": prefix, "$lt": f"{prefix}{before}"}, "complete": True})
    return sorted(i[len(prefix):] for i in ids)
