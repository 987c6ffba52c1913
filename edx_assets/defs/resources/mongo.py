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

    @contextmanager
    def get_database(self) -> Iterator[Database]:
        """A connected database; fails fast with a clear message when MongoDB is unreachable."""
        client: MongoClient = MongoClient(
            self.uri, serverSelectionTimeoutMS=self.server_selection_timeout_ms, tz_aware=True,
            retryWrites=True, retryReads=True,
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
            yield client[self.database]
        finally:
            client.close()
