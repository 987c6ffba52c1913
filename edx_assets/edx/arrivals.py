"""Which delivered objects are new or changed since the last look, by S3 LastModified (not key order).

The cursor keeps the newest LastModified seen and the `key@etag` of the objects at exactly that time,
so an object re-delivered with new content (new ETag, new LastModified) is seen again, an object whose
key sorts before others (a late day) is not missed, and nothing is requested twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Arrival:
    key: str
    etag: str
    last_modified: datetime
    size: int = 0

    @property
    def ident(self) -> str:
        return f"{self.key}@{self.etag}"


def _arrival(obj: dict) -> Arrival:
    return Arrival(obj["Key"], str(obj.get("ETag", "")).strip('"'), obj["LastModified"], int(obj.get("Size", 0)))


def new_arrivals(objects: Iterable[dict], cursor: dict | None) -> tuple[list[Arrival], dict]:
    """The objects newer than `cursor` (oldest first) and the cursor to store next."""
    cursor = cursor or {}
    since = datetime.fromisoformat(cursor["last_modified"]) if cursor.get("last_modified") else None
    seen = set(cursor.get("seen", []))
    arrivals = sorted((_arrival(o) for o in objects), key=lambda a: (a.last_modified, a.key))
    fresh = [a for a in arrivals
             if since is None or a.last_modified > since or (a.last_modified == since and a.ident not in seen)]
    if not arrivals:
        return [], cursor
    newest = max(since, arrivals[-1].last_modified) if since else arrivals[-1].last_modified
    at_newest = {a.ident for a in arrivals if a.last_modified == newest}
    if since == newest:
        at_newest |= seen
    return fresh, {"last_modified": newest.isoformat(), "seen": sorted(at_newest)}
