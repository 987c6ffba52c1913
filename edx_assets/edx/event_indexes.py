"""The indexes of `Eventos` and its quarantine: the ones every load keeps, and the opt-in ones analysts ask
for (EDX_EVENTS_EXTRA_INDEXES), dropped before a load that no longer wants them and built after it."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.errors import OperationFailure

from edx_assets.edx import eventos_schema as ev
from edx_assets.edx.replication import index_options

INDEX_NOT_FOUND = 27

# The indexes every load keeps on `Eventos`, each for a query that needs it (README: "Indexes"). Every
# secondary index costs each insert its upkeep (on a 2-core machine six cost MongoDB ~3x the CPU of one).
EVENT_INDEXES = [
    # the idempotent reload (a day's load and its stale documents) and every per-day read: learner_day,
    # learner_ips, the eventos checks and summary
    IndexModel([(ev.PARTITION, ASCENDING), (ev.LOAD, ASCENDING)], name="partition_load"),
    # enrollment_daily reads the enrollment events of all history: a partial index holds only those
    IndexModel([(ev.EVENT_TYPE, ASCENDING), (ev.TIME, ASCENDING)], name="enrollment_events",
               partialFilterExpression={ev.EVENT_TYPE: {"$in": list(ev.ENROLLMENT_EVENTS)}}),
    # ... and their mode changes (a separate partial index: the one above keeps its definition)
    IndexModel([(ev.EVENT_TYPE, ASCENDING), (ev.TIME, ASCENDING)], name="enrollment_mode_changes",
               partialFilterExpression={ev.EVENT_TYPE: ev.MODE_CHANGED}),
]
# Opt-in indexes for analysts' own queries (EDX_EVENTS_EXTRA_INDEXES lists names from here or key specs):
# built after a load, then kept up by every later insert.
EXTRA_INDEXES = {
    "course_time": [(ev.COURSE_ID, ASCENDING), (ev.TIME, ASCENDING)],  # a course over a period
    "user_time": [(ev.USER_ID, ASCENDING), (ev.TIME, ASCENDING)],  # one learner's trail
    "username": [("username", ASCENDING)],  # a learner by username
    "event_type": [(ev.EVENT_TYPE, ASCENDING)],  # an event type over all history
    "time": [(ev.TIME, ASCENDING)],  # a period across courses
}
CUSTOM_PREFIX = "extra:"  # the name of an index made from a key spec


def extra_index(spec: str) -> IndexModel:
    """An opt-in index from its catalog name (`course_time`) or a key spec: fields joined by `+`, each
    optionally `:-1` for descending (`_edx.course_id+_edx.event_type`, `context.org_id:1+_edx.time:-1`)."""
    spec = spec.strip()
    if spec in EXTRA_INDEXES:
        return IndexModel(EXTRA_INDEXES[spec], name=spec)
    keys = []
    for part in spec.split("+"):
        field, _, direction = part.strip().partition(":")
        if not field or field.startswith("$") or direction not in ("", "1", "-1"):
            raise ValueError(f"EDX_EVENTS_EXTRA_INDEXES: {spec!r} is neither an index name "
                             f"({', '.join(EXTRA_INDEXES)}) nor fields joined by + (field or field:-1)")
        keys.append((field, -1 if direction == "-1" else ASCENDING))
    return IndexModel(keys, name=CUSTOM_PREFIX + "+".join(f"{f}:{d}" for f, d in keys))


def drop_unwanted_indexes(events: Collection, wanted: Sequence[str]) -> list[str]:
    """Before a load: drop the opt-in indexes the setting no longer lists (including those older releases
    built by default), so that the load does not pay their upkeep. Returns their names."""
    names = {extra_index(spec).document["name"] for spec in wanted}
    dropped = []
    for name in sorted(set(events.index_information()) - names):
        if name in EXTRA_INDEXES or name.startswith(CUSTOM_PREFIX):
            try:
                events.drop_index(name)
            except OperationFailure as exc:
                if exc.code != INDEX_NOT_FOUND:  # (another run dropped it first)
                    raise
            dropped.append(name)
    return dropped


def build_extra_indexes(events: Collection, wanted: Sequence[str]) -> list[str]:
    """After a load: build the opt-in indexes the setting lists that are missing (MongoDB builds them
    without blocking readers or writers; later inserts keep them up). Returns their names."""
    present = set(events.index_information())
    missing = [model for model in map(extra_index, wanted) if model.document["name"] not in present]
    if missing:
        events.create_indexes(missing, **index_options(events.database))
    return [model.document["name"] for model in missing]

REJECTED_INDEXES = [IndexModel([("partition", ASCENDING), ("load", ASCENDING)], name="partition_load")]


def ensure_indexes(events: Collection, rejected: Collection) -> None:
    events.create_indexes(EVENT_INDEXES, **index_options(events.database))
    rejected.create_indexes(REJECTED_INDEXES, **index_options(rejected.database))
