"""Personal data in what edx-assets stores: EDX_STORE_PII = keep | pseudonymize | minimize.

- `keep` (the default): events and course tables are stored as edX delivers them.
- `pseudonymize`: usernames become the keyed pseudonym the report files use (`pii.pseudonym`, HMAC-SHA256
  with EDX_REPORTS_PSEUDONYM_KEY), so joins between `Eventos`, the course collections and the reports still
  work; IP addresses are cut to their network (/24 for IPv4, /48 for IPv6) after the country and city were
  looked up from the whole address (kept as `_edx.ip_country_code`, `_edx.ip_country`, `_edx.ip_city`); names,
  e-mails, passwords and mailing addresses are not stored (`auth_user`, `auth_userprofile`, the certificate's
  printed name); the forum's `author_username` is pseudonymized; a quarantined line's text is stored with its
  usernames pseudonymized, IPs cut and e-mails removed.
- `minimize`: as `pseudonymize`, and the free-text profile fields (goals, bio, location, city, meta) are not
  stored, and an event's user agent is stored only as its class (`mobile_app`, `mobile_browser`, `desktop`,
  the classes learner_day counts).

Usernames edX has already retired (`retired__user_…`) are kept as they are: they identify nobody, and they
are how a retirement is recognised (edx/retirement.py).
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from edx_assets.edx import eventos_schema as ev
from edx_assets.edx.reports.pii import pseudonym

MODES = ("keep", "pseudonymize", "minimize")
RETIRED_PREFIX = "retired__user_"
PSEUDONYM_PATTERN = r"^p_[0-9a-f]{20}$"
# A stored username the pseudonymizing modes forbid: neither a pseudonym nor edX's retired form.
_NOT_PSEUDONYMOUS = {"$nin": ["", None], "$not": {"$regex": PSEUDONYM_PATTERN + f"|^{RETIRED_PREFIX}"}}
# Course-table columns not stored, per mode (the table's other columns are kept).
NOT_STORED = {
    "auth_user": ("first_name", "last_name", "email", "password", "email_key"),
    "auth_userprofile": ("name", "mailing_address"),
    "certificates_generatedcertificate": ("name",),
    "email_opt_in": ("email", "full_name"),
}
FREE_TEXT_PROFILE = ("goals", "bio", "location", "city", "meta")  # also not stored under `minimize`
# Free text learners wrote, also not stored under `minimize`, per table.
FREE_TEXT = {"auth_userprofile": FREE_TEXT_PROFILE, "submissions_submission": ("raw_answer",),
             "assessment_assessment": ("feedback",), "assessment_assessmentpart": ("feedback",)}
PSEUDONYMIZED = {"auth_user": "username", "user_id_map": "username", "credit_crediteligibility": "username",
                 "email_opt_in": "username"}
IP_COLUMNS = {"wiki_articlerevision": "ip_address"}  # cut to their network, as the events' IPs
FORUM_USERNAME = "author_username"
_MOBILE_BROWSER = re.compile(ev.MOBILE_BROWSER_AGENT)
_USERNAME_IN_TEXT = re.compile(r'("(?:author_)?username"\s*:\s*")([^"\\]*)("|$)')
_IP_FIELD_IN_TEXT = re.compile(r'("ip"\s*:\s*")([^"\\]*)(")')
_IPV4_IN_TEXT = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}\b")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def network(ip: str) -> str:
    """The address's network: /24 of an IPv4 address, /48 of an IPv6 one (as an address: `181.49.12.0`);
    a text that is no IP address is not kept (empty)."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False).network_address)


def agent_class(agent: Any, source: Any) -> str | None:
    """The agent's class as learner_day counts it (None: no agent)."""
    text = agent if isinstance(agent, str) else ""
    if source == "mobile" or text.startswith(ev.MOBILE_APP_AGENT):
        return "mobile_app"
    if not text:
        return None
    return "mobile_browser" if _MOBILE_BROWSER.search(text) else "desktop"


@dataclass(frozen=True)
class StorePolicy:
    """What is stored of the personal data in events and course tables (see the module's text)."""

    mode: str = "keep"
    key: str | None = field(default=None, repr=False)  # a secret: never in a message
    # usernames repeat all day long: each one is hashed once per process (bounded)
    _pseudonyms: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    _places: dict[str, tuple[str, dict]] = field(default_factory=dict, compare=False, repr=False)  # ip -> (cut, place)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"EDX_STORE_PII must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.mode != "keep" and not self.key:
            raise ValueError(f"EDX_STORE_PII={self.mode} needs the secret key in EDX_REPORTS_PSEUDONYM_KEY")

    @property
    def keeps(self) -> bool:
        return self.mode == "keep"

    @property
    def tag(self) -> str:
        """Part of a load's id: a day stored under another mode or key is a different load (so it is
        reloaded, not left as it was). Empty for `keep`; never reveals the key."""
        if self.keeps:
            return ""
        mark = hmac.new(str(self.key).encode(), b"edx-assets load", "sha256").hexdigest()[:4]
        return f"{self.mode[0]}{mark}"

    def username(self, value: Any) -> Any:
        if not isinstance(value, str) or not value or value.startswith(RETIRED_PREFIX):
            return value
        try:
            return self._pseudonyms[value]
        except KeyError:
            if len(self._pseudonyms) >= 200_000:
                self._pseudonyms.clear()
            self._pseudonyms[value] = hashed = pseudonym(str(self.key), value)
            return hashed

    # -- events ------------------------------------------------------------------------------------

    def event(self, doc: dict, derived: dict, locate) -> None:
        """Apply the mode to an event (in place) before it is stored: `derived` is its `_edx`, `locate` the
        offline IP lookup (ip -> Location | None). (Runs once per event: written for speed.)"""
        username = self.username
        if "username" in doc:
            doc["username"] = username(doc["username"])
        context = doc.get("context")
        if type(context) is dict and "username" in context:
            context["username"] = username(context["username"])
        raw = doc.get("event")
        if type(raw) is dict and "username" in raw:
            raw["username"] = username(raw["username"])
        decoded = derived.get("event")
        if decoded is not raw and type(decoded) is dict and "username" in decoded:
            decoded["username"] = username(decoded["username"])
            if type(raw) is str:
                doc["event"] = orjson.dumps(decoded).decode()  # the string as delivered held the username too
        ip = doc.get("ip")
        if type(ip) is str and ip:
            known = self._places.get(ip)
            if known is None:  # addresses repeat all day long: each is cut and looked up once per process
                if len(self._places) >= 200_000:
                    self._places.clear()
                where = locate(ip)
                self._places[ip] = known = network(ip), {
                    name: getattr(where, attribute) if where else None for attribute, name in ev.IP_PLACE.items()}
            doc["ip"] = known[0]
            derived.update(known[1])
        if self.mode == "minimize" and "agent" in doc:
            doc["agent"] = agent_class(doc["agent"], doc.get("event_source"))

    def text(self, raw: str) -> str:
        """A quarantined line's text: usernames pseudonymized, the `ip` field cut to its network and any other
        IPv4 address to /24, e-mails removed."""
        if self.keeps:
            return raw
        raw = _USERNAME_IN_TEXT.sub(lambda m: m[1] + (self.username(m[2]) or "") + m[3], raw)
        raw = _IP_FIELD_IN_TEXT.sub(lambda m: m[1] + network(m[2]) + m[3], raw)  # IPv6 too
        raw = _IPV4_IN_TEXT.sub(lambda m: m[1] + ".0", raw)
        return _EMAIL_IN_TEXT.sub("(e-mail not stored)", raw)

    # -- course tables -------------------------------------------------------------------------------

    def row(self, table: str, row: dict) -> dict:
        """A course table's row as stored under this mode."""
        if self.keeps:
            return row
        for column in NOT_STORED.get(table, ()):
            row.pop(column, None)
        if self.mode == "minimize":
            for column in FREE_TEXT.get(table, ()):
                row.pop(column, None)
        column = PSEUDONYMIZED.get(table)
        if column and column in row:
            row[column] = self.username(row[column])
        column = IP_COLUMNS.get(table)
        if column and isinstance(row.get(column), str):
            row[column] = network(row[column])
        return row

    def forum(self, doc: dict) -> dict:
        if not self.keeps and FORUM_USERNAME in doc:
            doc[FORUM_USERNAME] = self.username(doc[FORUM_USERNAME])
        return doc


def forbidden_in_events(mode: str) -> dict | None:
    """A filter matching the events a mode forbids (None for `keep`)."""
    if mode == "keep":
        return None
    clauses: list[dict] = [
        {"username": _NOT_PSEUDONYMOUS},
        {"ip": {"$nin": ["", None], "$not": {"$regex": r"(\.0|::)$"}}},
    ]
    if mode == "minimize":
        clauses.append({"agent": {"$nin": [None, *ev.AGENT_CLASSES]}})
    return {"$or": clauses}


def forbidden_in_course(mode: str) -> dict[str, dict]:
    """Per course-collection suffix, a filter matching the documents a mode forbids (empty for `keep`)."""
    if mode == "keep":
        return {}
    profile = [*NOT_STORED["auth_userprofile"], *(FREE_TEXT_PROFILE if mode == "minimize" else ())]
    return {
        "users": {"$or": [*({c: {"$exists": True}} for c in NOT_STORED["auth_user"]), {"username": _NOT_PSEUDONYMOUS}]},
        "demographics": {"$or": [{c: {"$exists": True}} for c in profile]},
        "certificates": {"name": {"$exists": True}},
        "userIDs": {"username": _NOT_PSEUDONYMOUS},
        "forum": {FORUM_USERNAME: _NOT_PSEUDONYMOUS},
        "credit_eligibility": {"username": _NOT_PSEUDONYMOUS},
        "wiki_revisions": {"ip_address": {"$nin": ["", None], "$not": {"$regex": r"(\.0|::)$"}}},
        **({"ora_submissions_submission": {"raw_answer": {"$exists": True}},
            "ora_assessment_assessment": {"feedback": {"$exists": True}}} if mode == "minimize" else {}),
    }


def forbidden_in_org(mode: str) -> dict[str, dict]:
    """Per org-level collection, a filter matching the documents a mode forbids (empty for `keep`)."""
    if mode == "keep":
        return {}
    return {"email_opt_in": {"$or": [*({c: {"$exists": True}} for c in NOT_STORED["email_opt_in"]),
                                     {"username": _NOT_PSEUDONYMOUS}]}}
