"""MongoDB as a Dagster resource: a pymongo client from a URI held in an environment variable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from pydantic import Field
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import PyMongoError

from edx_assets.edx import replication


class MongoUnavailableError(RuntimeError):
    """MongoDB could not be reached or refused the credentials."""


def redact_uri(uri: str) -> str:
    """The URI with any password replaced, for messages."""
    return re.sub(r"//([^:/@]+):([^@]+)@", r"//\1:***@", uri)


class MongoResource(dg.ConfigurableResource):
    """The MongoDB database that holds `Eventos`, the per-course collections and the reports."""

    uri: str = Field(description="MongoDB connection URI (EDX_MONGO_URI); may hold credentials.")
    database: str = "edx"
    server_selection_timeout_ms: int = 10_000
    write_concern: str = Field("majority", description=(
        "EDX_MONGO_WRITE_CONCERN: `w` of every write. `majority`: acknowledged once most members of a replica "
        "set hold it, so a failover never rolls it back (on a standalone mongod, the same as 1)."))
    read_preference: str = Field("primary", description=(
        "EDX_MONGO_READ_PREFERENCE: where the reports and their checks read (secondaryPreferred: on the "
        "secondaries); the loads always read the primary."))

    @contextmanager
    def get_database(self, secondary_ok: bool = False) -> Iterator[Database]:
        """A connected database; fails fast with a clear message when MongoDB is unreachable. `secondary_ok`
        (the reports): reads as `read_preference` says, seeing every earlier write (edx/replication.py)."""
        client: MongoClient = MongoClient(
            self.uri, serverSelectionTimeoutMS=self.server_selection_timeout_ms, tz_aware=True,
            retryWrites=True, retryReads=True, w=replication.write_concern(self.write_concern),
        )
        try:
            try:
                # A read on the database itself: also proves the credentials (ping needs none).
                client[self.database].list_collection_names(filter={"name": "_edx_loads"})
            except PyMongoError as exc:
                raise MongoUnavailableError(
                    f"MongoDB at {redact_uri(self.uri)} is not usable: {type(exc).__name__}: "
                    f"{redact_uri(str(exc))[:300]}"
                ) from None
            mode = self.read_preference if secondary_ok else "primary"
            yield replication.reading_from(client, self.database, mode)
        finally:
            client.close()
