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
# EDX_STORE_PII other than keep: the place of the whole IP address, looked up at load (`ip` is then cut)
IP_PLACE = {"country_code": "ip_country_code", "country": "ip_country", "city": "ip_city"}  # Location -> _edx

# User agents, as learner_day classes them (and EDX_STORE_PII=minimize stores them: the class only).
AGENT_CLASSES = ("mobile_app", "mobile_browser", "desktop")
MOBILE_APP_AGENT = "edX/"  # the prefix of the mobile apps' agents (or `event_source` mobile)
MOBILE_BROWSER_AGENT = r"Mobi|Android|iPhone|iPad"  # a browser agent naming one of these

# The enrollment events: the only events a report reads across all history (enrollment_daily).
ACTIVATED = "edx.course.enrollment.activated"
DEACTIVATED = "edx.course.enrollment.deactivated"
MODE_CHANGED = "edx.course.enrollment.mode_changed"
ENROLLMENT_EVENTS = (ACTIVATED, DEACTIVATED)


def ref(path: str) -> str:
    """The aggregation-expression form of a field path (`$_edx.time`)."""
    return f"${path}"


# The document's columns as the UI shows them: (field, type, definition).
COLUMNS: list[tuple[str, str, str]] = [
    ("_id", "string", "{day}:{load}:{line}: one document per line of a file, stable across re-runs"),
    ("username", "string", "the learner's username as logged (blank for anonymous visitors)"),
    ("event_type", "string", "edX's event type (a URL path for implicit events)"),
    ("name", "string", "edX's event name (newer events); preferred over event_type"),
    ("event_source", "string", "browser, server, mobile or task"),
    ("event", "json", "the event payload as logged (an object, or a JSON or URL-encoded string)"),
    ("context", "json", "course_id, org_id, user_id, path, module, received_at (mobile)..."),
    ("time", "string", "the event time as logged (ISO 8601, microseconds and offset kept)"),
    ("ip", "string", "client IP (empty for mobile events)"),
    ("agent", "string", "the client's user agent"),
    ("page", "string", "the page URL (browser events)"),
    (PARTITION, "date", "the day of the file the event came in (late mobile events: the day received)"),
    (TIME, "datetime", "the event time as a BSON date (UTC, milliseconds)"),
    (COURSE_ID, "string", "course-v1 id from context.course_id, else from the page/path URL; null if none"),
    (USER_ID, "integer", "context.user_id (or the event's user_id); null if none"),
    (EVENT_TYPE, "string", "`name` when present, else `event_type`"),
    (EVENT, "json", "the event decoded when it came as a JSON or URL-encoded string"),
    (FILE, "string", "the S3 file the line came from"),
    (LINE, "integer", "the line number in that file"),
    (LOAD, "string", "the load that wrote it: the file's sha256 prefix and the parser version"),
    (RECEIVED_AT, "datetime", "mobile events: when edX's server received them"),
    *((f"{DERIVED}.{field}", "string", f"EDX_STORE_PII other than keep: the {what} of the whole IP address, "
       "looked up at load (`ip` then holds only its network)") for what, field in IP_PLACE.items()),
]
