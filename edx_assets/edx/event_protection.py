"""What a load does to personal data before storing an event (EDX_STORE_PII) and to retired learners'
events (not stored), for parsed events and quarantined lines alike."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from edx_assets.edx import tracking_log as tl
from edx_assets.edx.geo import GeoLocator, Location
from edx_assets.edx.privacy import StorePolicy

_LOCATOR: GeoLocator | None = None
USER_ID_IN_TEXT = r'"user_id"\s*:\s*"?'  # then the id: how a quarantined line's text carries it
_USER_ID_IN_TEXT = re.compile(USER_ID_IN_TEXT + r"(\d{1,18})\b")


def _locate(ip: str) -> Location | None:
    """The offline IP lookup, its database opened once per process (StorePolicy remembers each address)."""
    global _LOCATOR
    if _LOCATOR is None:
        _LOCATOR = GeoLocator()
    return _LOCATOR.locate(ip)


@dataclass(frozen=True)
class Protection:
    """What a load does to personal data before storing an event: the EDX_STORE_PII mode, and skipping
    the events of retired learners (their user ids). Picklable: parse processes receive it."""

    store: StorePolicy = field(default_factory=StorePolicy)
    retired: frozenset[int] = frozenset()

    @property
    def idle(self) -> bool:
        return self.store.keeps and not self.retired

    def __call__(self, doc: dict, derived: dict) -> bool:
        if derived["user_id"] in self.retired:
            return False
        if not self.store.keeps:
            self.store.event(doc, derived, _locate)
        return True

    def rejection(self, rejection: tl.Rejection) -> tl.Rejection:
        """A quarantined line as stored: its text follows the mode too, and the text of a retired learner's
        line (found by the user id it carries) is not kept."""
        raw = rejection.raw
        if self.retired and any(int(i) in self.retired for i in _USER_ID_IN_TEXT.findall(raw)):
            raw = ""
        elif not self.store.keeps:
            raw = self.store.text(raw)
        return rejection if raw is rejection.raw else tl.Rejection(rejection.line, rejection.reason, raw,
                                                                   rejection.raw_bytes)
