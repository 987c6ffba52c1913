"""Names in the edX Research Data Package: S3 keys, package members, course ids, collection names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

# Tables the old system loaded, file table name -> collection suffix users know.
LOADED_TABLES: dict[str, str] = {
    "auth_user": "users",
    "auth_userprofile": "demographics",
    "certificates_generatedcertificate": "certificates",
    "courseware_studentmodule": "courseware",
    "student_courseenrollment": "enrollments",
    "user_id_map": "userIDs",
}
# Tables loaded together into `<course>.roles` (each row tagged with its `source`): course team access roles
# (instructor, staff, beta_testers, ...) and forum roles (Administrator, Moderator, Community TA, Student).
ROLE_TABLES: dict[str, str] = {"student_courseaccessrole": "course", "django_comment_client_role_users": "forum"}
ROLES_SUFFIX = "roles"
STRUCTURE_TABLE = "course_structure"
FORUM_TABLE = "forum"
# The package's other per-course tables (edx-analytics-exporter's tasks), file table name -> collection suffix.
# A table that is not delivered becomes an empty collection; a table not named here is loaded as text
# into `<prefix>.<table>`.
PACKAGE_TABLES: dict[str, str] = {
    "grades_persistentcoursegrade": "grades_course",
    "grades_persistentsubsectiongrade": "grades_subsection",
    "course_groups_cohortmembership": "cohorts",
    "user_api_usercoursetag": "user_tags",
    "teams": "teams",
    "teams_membership": "team_members",
    "student_anonymoususerid": "anonymous_ids",
    "student_languageproficiency": "language_proficiency",
    "credit_crediteligibility": "credit_eligibility",
    "verify_student_verificationstatus": "verification_status",
    "wiki_article": "wiki_articles",
    "wiki_articlerevision": "wiki_revisions",
}
COURSE_XML_TABLE = "course"  # `{C}-course-{env}.xml.tar.gz`: the course's OLX export
POLICIES_SUFFIX = "policies"  # its policies/<run>/*.json, one document per file
ORA_FOLDER = "ora"  # `ora/{C}-{table}-{env}.sql`: open-response tables -> `<prefix>.ora_<table>`
ORG_TABLES = {"email_opt_in": "email_opt_in"}  # `{org}-email_opt_in-{env}.csv` -> the org's collection


def collection_suffix(table: str, ora: bool = False) -> str:
    """The collection suffix of a package table (unknown tables keep their own name)."""
    if ora:
        return f"ora_{table}"
    return LOADED_TABLES.get(table) or PACKAGE_TABLES.get(table) or table

# Environment suffixes seen in real deliveries and public fixtures, longest first.
_ENV_SUFFIXES = ("prod-edge-analytics", "acceptance-analytics", "prod-analytics", "acceptance")
_FORUM_SUFFIXES = ("prod", "edge", "acceptance")


def event_log_key(org: str, site: str, day: date) -> str:
    """S3 key of a day's tracking log. The year folder is the year of the file's date."""
    org = org.lower()
    return f"{org}/{site}/events/{day.year:04d}/{org}-{site}-events-{day.isoformat()}.log.gz.gpg"


def event_log_file_name(org: str, site: str, day: date) -> str:
    """The landing file of a day's tracking log (the S3 object's own name)."""
    return event_log_key(org, site, day).rsplit("/", 1)[-1]


def decrypted_event_log_name(org: str, site: str, day: date) -> str:
    """The clear-text file of a day's tracking log (gpg and gzip undone)."""
    return event_log_file_name(org, site, day).removesuffix(".gz.gpg")


def course_package_key(org: str, day: date) -> str:
    """S3 key of a weekly course-data package (dated on a Sunday), at the bucket root."""
    return f"{org.lower()}-{day.isoformat()}.zip"


_EVENT_KEY_RE = re.compile(
    r"^(?P<org>[^/]+)/(?P<site>[^/]+)/events/(?P<year>\d{4})/"
    r"(?P=org)-(?P=site)-events-(?P<date>\d{4}-\d{2}-\d{2})\.log\.gz\.gpg$"
)
_PACKAGE_KEY_RE = re.compile(r"^(?P<org>[^/]+)-(?P<date>\d{4}-\d{2}-\d{2})\.zip$")


def parse_event_log_key(key: str) -> tuple[str, str, date] | None:
    """(org, site, day) of an event log key, or None when the key is not one."""
    match = _EVENT_KEY_RE.match(key)
    if not match:
        return None
    try:
        day = date.fromisoformat(match["date"])
    except ValueError:
        return None
    if day.year != int(match["year"]):
        return None
    return match["org"], match["site"], day


def parse_course_package_key(key: str) -> tuple[str, date] | None:
    """(org, day) of a course package key, or None."""
    match = _PACKAGE_KEY_RE.match(key)
    if not match:
        return None
    try:
        return match["org"], date.fromisoformat(match["date"])
    except ValueError:
        return None


# ---- course ids -------------------------------------------------------------------------------

_COURSE_V1_RE = re.compile(r"course-v1:(?P<org>[^+/\s]+)\+(?P<num>[^+/\s]+)\+(?P<run>[^+/\s?#]+)")
_LEGACY_RE = re.compile(r"^(?P<org>[^/+\s]+)/(?P<num>[^/+\s]+)/(?P<run>[^/+\s]+)$")
# /courses/<id>/... in page URLs, paths and implicit event types.
_URL_V1_RE = re.compile(r"/courses/(course-v1:[^/+\s]+\+[^/+\s]+\+[^/?#\s]+)")
_URL_LEGACY_RE = re.compile(r"/courses/([^/\s:]+/[^/\s]+/[^/?#\s]+)")


@dataclass(frozen=True)
class CourseId:
    org: str
    number: str
    run: str

    @property
    def v1(self) -> str:
        return f"course-v1:{self.org}+{self.number}+{self.run}"

    @property
    def legacy(self) -> str:
        return f"{self.org}/{self.number}/{self.run}"

    @property
    def file_prefix(self) -> str:
        """The `{Org}-{Course}-{Run}` prefix of package file names (non-ASCII -> `_`)."""
        return ascii_underscored(f"{self.org}-{self.number}-{self.run}")


def parse_course_id(value: str | None) -> CourseId | None:
    """Parse a course id in either form (`course-v1:O+N+R` or legacy `O/N/R`)."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    match = _COURSE_V1_RE.fullmatch(value)
    if match is None and value.startswith("ccx-v1:"):
        match = re.fullmatch(r"ccx-v1:(?P<org>[^+]+)\+(?P<num>[^+]+)\+(?P<run>[^+]+)\+ccx@\d+", value)
    if match is None:
        match = _LEGACY_RE.fullmatch(value)
    if match is None:
        return None
    return CourseId(match["org"], match["num"], match["run"])


def course_id_from_url(url: str | None) -> CourseId | None:
    """Course id found in a page URL, a request path or an implicit event type, if any."""
    if not url or not isinstance(url, str) or "/courses/" not in url:
        return None
    match = _URL_V1_RE.search(url)
    if match:
        return parse_course_id(match.group(1))
    match = _URL_LEGACY_RE.search(url)
    if match:
        return parse_course_id(match.group(1))
    return None


def ascii_underscored(text: str) -> str:
    """Replace every non-ASCII character with `_` (how edX names package files)."""
    return "".join(ch if ord(ch) < 128 else "_" for ch in unicodedata.normalize("NFC", text))


def collection_prefix(file_prefix: str, org: str | None = None) -> str:
    """The old system's per-course collection prefix, kept so users find their collections.

    Lowercase the file prefix, drop the org and its dash, then replace the first `-` with `_` and
    the first `.` with `_`: `IDBx-IDB4.1x-2015_T4` -> `idb4_1x_2015_t4`.
    """
    name = file_prefix.lower()
    org_part = (org or name.split("-", 1)[0]).lower()
    if name.startswith(org_part + "-"):
        name = name[len(org_part) + 1 :]
    name = name.replace("-", "_", 1).replace(".", "_", 1)
    return name


# ---- package members --------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageFile:
    """One per-course file of a package, recognised by the table name inside its file name."""

    file_prefix: str  # `{Org}-{Course}-{Run}`
    table: str  # auth_user, course_structure, forum, ...
    env: str
    ext: str

    @property
    def kind(self) -> str:
        if self.table in ORG_TABLES and self.ext == "csv":
            return "org_table"
        if self.ext == "sql" or self.table in ROLE_TABLES:
            return "table"
        if self.table == COURSE_XML_TABLE and self.ext == "xml.tar.gz":
            return "course_xml"
        if self.table == STRUCTURE_TABLE:
            return "structure"
        if self.table == FORUM_TABLE:
            return "forum"
        return "other"


_TABLE_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")


def parse_package_file(name: str) -> PackageFile | None:
    """Recognise `{C}-{table}-{env}.{ext}` and `{C}-{env}.mongo`; None when the name is not one.

    `name` is the base name, already stripped of `.gpg`.
    """
    if name.endswith(".mongo"):
        stem = name[: -len(".mongo")]
        for env in _FORUM_SUFFIXES:
            if stem.endswith("-" + env):
                return PackageFile(stem[: -len(env) - 1], FORUM_TABLE, env, "mongo")
        return None
    for ext in ("sql", "json", "xml.tar.gz", "csv"):
        if name.endswith("." + ext):
            stem = name[: -len(ext) - 1]
            break
    else:
        return None
    for env in _ENV_SUFFIXES:
        if stem.endswith("-" + env):
            rest = stem[: -len(env) - 1]
            break
    else:
        return None
    # Known tables first (their names may contain what looks like a course part), then any name.
    for table in sorted((*LOADED_TABLES, *ROLE_TABLES, *PACKAGE_TABLES, STRUCTURE_TABLE), key=len, reverse=True):
        if rest.endswith("-" + table):
            return PackageFile(rest[: -len(table) - 1], table, env, ext)
    prefix, sep, table = rest.rpartition("-")
    if not sep or not prefix or not _TABLE_NAME_RE.fullmatch(table):
        return None
    return PackageFile(prefix, table, env, ext)
