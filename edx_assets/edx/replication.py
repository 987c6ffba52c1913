"""Reading from a replica set's secondaries without reading the past.

A secondary applies the primary's writes a little later. A report that reads there could miss what the day's
load wrote a moment before, or its own writes. So a handle that reads from secondaries writes with
w = every data-bearing member, and starts with one such write (a barrier). Members apply the oplog in order,
so once every member has acknowledged the barrier, each holds every write made before it. The report's own
writes through the handle are on every member before they return.
The price: while a member is down these writes wait, then fail after `timeout_ms`, with a message that names
the setting to turn back to `primary`.
"""

from __future__ import annotations

from pymongo import MongoClient, ReadPreference
from pymongo.database import Database
from pymongo.errors import WTimeoutError
from pymongo.write_concern import WriteConcern

READ_PREFERENCES = {"primary": ReadPreference.PRIMARY, "primaryPreferred": ReadPreference.PRIMARY_PREFERRED,
                    "secondary": ReadPreference.SECONDARY, "secondaryPreferred": ReadPreference.SECONDARY_PREFERRED,
                    "nearest": ReadPreference.NEAREST}
BARRIER = "_edx_read_barrier"


class MembersBehindError(RuntimeError):
    """A member did not apply the barrier in time: reading from it could miss recent writes."""


def write_concern(value: str) -> int | str:
    """EDX_MONGO_WRITE_CONCERN as pymongo's `w`: a number of members, or a name (`majority`)."""
    return int(value) if value.isdigit() else value


def reading_from(client: MongoClient, name: str, mode: str, timeout_ms: int = 60_000) -> Database:
    """Database `name` read with `mode` (a READ_PREFERENCES name), seeing every write made before this call and
    every write made through it. `primary`, or a server that is not a replica set: the plain database."""
    if mode == "primary":  # (the default: no round trip to ask what the server is)
        return client[name]
    hello = client.admin.command("hello")
    if "setName" not in hello:
        return client[name]
    members = len(hello.get("hosts", [])) + len(hello.get("passives", []))  # data-bearing, arbiters aside
    db = client.get_database(name, read_preference=READ_PREFERENCES[mode],
                             write_concern=WriteConcern(w=members, wtimeout=timeout_ms))
    try:
        db[BARRIER].update_one({"_id": "reads"}, {"$inc": {"n": 1}}, upsert=True)
    except WTimeoutError as exc:
        raise MembersBehindError(
            f"not every one of the replica set's {members} members applied a write within {timeout_ms} ms: "
            "reading from secondaries could miss recent writes; start the missing member, or set "
            "EDX_MONGO_READ_PREFERENCE=primary") from exc
    return db


def index_options(db: Database) -> dict:
    """`create_indexes`' options: on a replica set, a build commits once a majority of the members have built
    it. MongoDB's default waits for every voting member, so one member down would hold every load."""
    replica_set = db.client.topology_description.topology_type_name.startswith("ReplicaSet")
    return {"commitQuorum": "majority"} if replica_set else {}
