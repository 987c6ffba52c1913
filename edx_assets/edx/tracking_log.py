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

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import bson
import bson.errors
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
        keys = "\x01".join(value)  # all keys searched at once, in C (a key holding "\x01$" only costs a copy)
        if "." in keys or "\x00" in keys or ("$" in keys and (keys[:1] == "$" or "\x01$" in keys)):
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
    if raw[:1] == b"{":  # the common case: an object from the first byte (orjson allows the newline)
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # told apart below
        else:
            return (obj, None, False) if type(obj) is dict else (None, "valid JSON but not an object", False)
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
    if not isinstance(event, str) or not event:
        return None
    if event[0] in "{[":  # the common case, no copy (orjson allows surrounding white space)
        text = event
    else:
        text = event.strip()
        if not text:
            return None
    if text[0] in "{[":
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return None  # e.g. a `{GET:..., POST:...}` cut at 512 characters: kept as the string
    if "=" in text and text.startswith("input_"):
        return _form_fields(text)
    return None


def _form_fields(text: str) -> dict[str, str | list[str]]:
    """A URL-encoded form as `parse_qs(text, keep_blank_values=True)` reads it, a repeated name giving a
    list and a single one its value; unquoting only the parts that need it (most need none)."""
    fields: dict[str, list[str]] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "+" in name or "%" in name:
            name = unquote(name.replace("+", " "))
        if "+" in value or "%" in value:
            value = unquote(value.replace("+", " "))
        if name in fields:
            fields[name].append(value)
        else:
            fields[name] = [value]
    return {name: values if len(values) > 1 else values[0] for name, values in fields.items()}


def _user_id(context: dict, event: Any) -> int | None:
    for value in (context.get("user_id"), event.get("user_id") if type(event) is dict else None):
        if type(value) is int:  # (not bool: type() is exact)
            return value
        if isinstance(value, str) and value.isascii() and value.isdigit():  # ("²" is a digit to Python)
            return int(value)
    return None


# Course ids and URLs repeat all day long: each distinct text is parsed once per process (bounded).
_COURSE_IDS: dict[str, str | None] = {}
_URL_COURSE_IDS: dict[str, str | None] = {}
_CACHE_LIMIT = 50_000
_UNSEEN = object()


def _cached(cache: dict[str, str | None], value: Any, parse) -> str | None:
    if type(value) is not str:
        cid = parse(value)
        return cid.v1 if cid else None
    try:
        return cache[value]
    except KeyError:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cid = parse(value)
        cache[value] = found = cid.v1 if cid else None
        return found


def _course_id(doc: dict, context: dict) -> str | None:
    given = context.get("course_id")
    cid = _COURSE_IDS.get(given, _UNSEEN) if type(given) is str else _UNSEEN
    if cid is _UNSEEN:
        cid = _cached(_COURSE_IDS, given, parse_course_id)
    if cid is None:
        for url in (context.get("path"), doc.get("page"), doc.get("event_type")):
            cid = _cached(_URL_COURSE_IDS, url, course_id_from_url)
            if cid is not None:
                break
    return cid


def _stored_time(value: Any) -> datetime | None:
    """The time as stored: BSON keeps UTC milliseconds, so an aware datetime in any offset (or a naive
    one, UTC) encodes the same as its UTC conversion; the strict parser runs only when the fast one fails."""
    if type(value) is str:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return parse_time(value)


def normalize(doc: dict, *, partition: str, source_file: str, line: int, load_id: str) -> dict:
    """Build the stored document: the original fields (keys escaped) plus `_edx`.

    `_edx` holds: partition (YYYY-MM-DD), time (BSON datetime), course_id (course-v1 form, from
    context.course_id or the page/path URL, either id form), user_id, event_type (`name` when
    present, else `event_type`), event (the event decoded when it came as a JSON or URL-encoded
    string), file and line, and load (the load that wrote it).
    """
    return escape_keys(_stored(doc, partition, source_file, line, load_id))


def encode(doc: dict, *, partition: str, source_file: str, line: int, load_id: str,
           protect: Callable[[dict, dict], bool] | None = None) -> bytes | None:
    """`normalize`'s document as BSON, the loader's way: BSON's own key check (in C, while encoding)
    finds the rare document with a `.`/`$`/NUL key, and only that one is escaped and encoded again.
    Raises `bson.errors.InvalidDocument` (or OverflowError) for a document BSON cannot hold.

    `protect(document, derived)` applies EDX_STORE_PII and learner retirement before encoding; it returns
    False for an event that is not to be stored (a retired learner's): then None is returned."""
    stored = _stored(doc, partition, source_file, line, load_id)
    if protect is not None and not protect(stored, stored[DERIVED]):
        return None
    try:
        return bson.encode(stored, check_keys=True)
    except bson.errors.InvalidDocument:
        return bson.encode(escape_keys(stored))


def _stored(doc: dict, partition: str, source_file: str, line: int, load_id: str) -> dict:
    """The stored document before key escaping. Runs on every line of every day, so it is written for
    speed: parsed course ids are remembered, the time is read by `datetime.fromisoformat`."""
    context = doc.get("context")
    if type(context) is not dict:
        context = {}
    raw_event = doc.get("event")
    decoded = _decode_event(raw_event) if type(raw_event) is str else None
    user_id = context.get("user_id")  # the common case inline: an int in the context
    if type(user_id) is not int:
        user_id = _user_id(context, decoded if type(decoded) is dict else raw_event)
    derived: dict[str, Any] = {
        "partition": partition,
        "time": _stored_time(doc.get("time")),
        "course_id": _course_id(doc, context),
        "user_id": user_id,
        "event_type": doc.get("name") or doc.get("event_type"),
        "file": source_file,
        "line": line,
        "load": load_id,
    }
    if decoded is not None:
        derived["event"] = decoded
    received = context.get("received_at")
    if received:
        derived["received_at"] = _stored_time(received)
    for reserved in ("_id", DERIVED):  # input fields with our reserved names are kept, renamed
        if reserved in doc:
            doc[f"{reserved}_input"] = doc.pop(reserved)
    doc["_id"] = f"{partition}:{load_id}:{line}"
    doc[DERIVED] = derived
    return doc


def reject(line: int, raw: bytes, reason: str) -> Rejection:
    text = raw.rstrip(b"\r\n")
    return Rejection(line, reason, text[:MAX_REJECTED_RAW].decode("utf-8", errors="replace"), len(text))
