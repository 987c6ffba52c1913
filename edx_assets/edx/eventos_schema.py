"""Field paths of the documents in `Eventos`: what the loader writes and every query reads.

The original event's fields keep their own names at the top level (`username`, `event_source`, `ip`,
`event`, ...); what the platform derives lives under `_edx`.
"""

DERIVED = "_edx"
PARTITION = f"{DERIVED}.partition"  # the day of the file the event came in (YYYY-MM-DD)
TIME = f"{DERIVED}.time"  # the event's time, a BSON date (milliseconds)
COURSE_ID = f"{DERIVED}.course_id"  # course-v1 form, or null
USER_ID = f"{DERIVED}.user_id"  # int, or null
EVENT_TYPE = f"{DERIVED}.event_type"  # `name` when present, else `event_type`
EVENT = f"{DERIVED}.event"  # the event decoded when it came as a JSON or URL-encoded string
FILE = f"{DERIVED}.file"
LINE = f"{DERIVED}.line"
LOAD = f"{DERIVED}.load"
RECEIVED_AT = f"{DERIVED}.received_at"  # mobile events: when the server received them


def ref(path: str) -> str:
    """The aggregation-expression form of a field path (`$_edx.time`)."""
    return f"${path}"
