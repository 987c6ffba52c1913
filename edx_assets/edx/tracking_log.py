"""Tracking-log lines -> MongoDB documents.

Every original field is kept under its own name. Keys MongoDB cannot store or index safely are escaped
with the rule MongoDB's documentation suggests, using the full-width Unicode look-alikes:

- `.` anywhere in a key  -> `．` (U+FF0E)
- `$` at the start of a key -> `＄` (U+FF04)
- NUL in a key (invalid in BSON) -> `␀` (U+2400)

Derived fields live in the reserved sub-document `_edx` (see `normalize`). Lines that are not JSON
objects become `Rejection`s; nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

from edx_assets.edx import eventos_schema
from edx_assets.edx.layout import course_id_from_url, parse_course_id
from edx_assets.edx.timestamps import parse_utc

DERIVED = eventos_schema.DERIVED  # the derived fields' sub-document
# Bump when normalisation changes: a re-run then replaces documents built by older code.
PARSER_VERSION = 1
MAX_REJECTED_RAW = 64 * 1024  # rejected lines keep at most this much of their text


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str
    raw: str
    raw_bytes: int


def escape_key(key: str) -> str:
    if key.startswith("$"):
        key = "＄" + key[1:]
    return key.replace(".", "．").replace("\x00", "␀")


def escape_keys(value: Any) -> Any:
    """Escape keys at every depth; values are untouched. Dicts are only rebuilt when a key needs it.

    Written as plain loops: this runs on every event of every day.
    """
    if type(value) is dict:
        for key in value:
            if "." in key or "\x00" in key or key[:1] == "$":
                return {escape_key(k): escape_keys(v) for k, v in value.items()}
        for key, item in value.items():
            kind = type(item)
            if kind is dict or kind is list:
                value[key] = escape_keys(item)
        return value
    if type(value) is list:
        for index, item in enumerate(value):
            kind = type(item)
            if kind is dict or kind is list:
                value[index] = escape_keys(item)
    return value


def unescape_key(key: str) -> str:
    """The original key of an escaped one (for analysts' tools that need it)."""
    if key.startswith("＄"):
        key = "$" + key[1:]
    return key.replace("．", ".").replace("␀", "\x00")


# Tracking-log times: ISO 8601 with or without microseconds / offset -> aware UTC datetime.
parse_time = parse_utc


def split_line(raw: bytes) -> tuple[dict | None, str | None, bool]:
    """Parse one line. Returns (object, rejection reason, prefix stripped)."""
    text = raw.rstrip(b"\r\n")
    start = text.find(b"{")
    if start < 0:
        stripped = text.lstrip()
        if stripped.startswith(b"["):
            return None, "a JSON array, not an event object", False
        return None, "no JSON object on the line", False
    prefixed = False
    if start > 0:
        head = text[:start].lstrip()
        if head.startswith(b"["):
            return None, "a JSON array, not an event object", False
        if head.startswith(b'"'):
            return None, "a JSON string, not an event object", False
        text = text[start:]
        prefixed = True
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        try:
            text.decode("utf-8")
        except UnicodeDecodeError as uexc:
            return None, f"not valid UTF-8 (byte {uexc.start})", prefixed
        return None, f"not valid JSON, probably truncated: {exc}", prefixed
    if not isinstance(obj, dict):
        return None, "valid JSON but not an object", prefixed
    return obj, None, prefixed


def _decode_event(event: Any) -> Any:
    """`event` as an object: JSON strings decoded, URL-encoded `input_...` strings parsed."""
    if not isinstance(event, str):
        return None
    text = event.strip()
    if not text:
        return None
    if text[0] in "{[":
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return None  # e.g. a `{GET:..., POST:...}` cut at 512 characters: kept as the string
    if "=" in text and text.startswith("input_"):
        return {k: v if len(v) > 1 else v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
    return None


def _user_id(context: dict, event: dict) -> int | None:
    for value in (context.get("user_id"), event.get("user_id") if isinstance(event, dict) else None):
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def _course_id(doc: dict, context: dict) -> str | None:
    cid = parse_course_id(context.get("course_id"))
    if cid is None:
        for url in (context.get("path"), doc.get("page"), doc.get("event_type")):
            cid = course_id_from_url(url)
            if cid is not None:
                break
    return cid.v1 if cid else None


def normalize(doc: dict, *, partition: str, source_file: str, line: int, load_id: str) -> dict:
    """Build the stored document: the original fields (keys escaped) plus `_edx`.

    `_edx` holds: partition (YYYY-MM-DD), time (BSON datetime), course_id (course-v1 form, from
    context.course_id or the page/path URL, either id form), user_id, event_type (`name` when
    present, else `event_type`), event (the event decoded when it came as a JSON or URL-encoded
    string), file and line, and load (the load that wrote it).
    """
    context = doc.get("context") if isinstance(doc.get("context"), dict) else {}
    raw_event = doc.get("event")
    decoded = _decode_event(raw_event)
    derived: dict[str, Any] = {
        "partition": partition,
        "time": parse_time(doc.get("time")),
        "course_id": _course_id(doc, context),
        "user_id": _user_id(context, decoded if isinstance(decoded, dict) else raw_event),
        "event_type": doc.get("name") or doc.get("event_type"),
        "file": source_file,
        "line": line,
        "load": load_id,
    }
    if decoded is not None:
        derived["event"] = escape_keys(decoded)
    received = context.get("received_at")
    if received:
        derived["received_at"] = parse_time(received)
    for reserved in ("_id", DERIVED):  # input fields with our reserved names are kept, renamed
        if reserved in doc:
            doc[f"{reserved}_input"] = doc.pop(reserved)
    stored = escape_keys(doc)
    stored["_id"] = f"{partition}:{load_id}:{line}"
    stored[DERIVED] = derived
    return stored


def reject(line: int, raw: bytes, reason: str) -> Rejection:
    text = raw.rstrip(b"\r\n")
    return Rejection(line, reason, text[:MAX_REJECTED_RAW].decode("utf-8", errors="replace"), len(text))
