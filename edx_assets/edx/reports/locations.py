"""Learner location from IP addresses, looked up offline.

Two rules, both per learner over every stored event with an IP filed before the week's Sunday (kept week
by week in `learner_ips`, see edx/learner_ips.py):
- registration IP (the primary `ip_country`): the IP of the learner's earliest enrollment-activation
  event, else of the earliest event with an IP. Where the learner was when signing up; it does not
  move when a learner travels or uses a VPN later.
- modal IP (`ip_country_modal`): the IP the learner's events carry most often (ties: the IP seen
  first, then the smaller address), as edx2bigquery's `modal_ip` in person_course. Where the learner
  usually studies; better for "where is the audience" questions on long courses.

A learner whose IP the database cannot place has country_code `UNKNOWN`; one with no IP at all has none
(edx-analytics-pipeline's location_per_course.py / util/geolocation.py keep the two apart the same way).

The result is the `learner_locations` collection (one document per user id, no IP stored), written
aside and renamed over the live one, and `learner_locations.csv`. No other asset's collection is touched:
reports join `learner_locations` by user id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pymongo.database import Database

from edx_assets.edx.geo import GeoLocator, Location
from edx_assets.edx.reports.courses import ReportCourse

COLUMNS = ["user_id", "username", "source", "country_code", "country", "city", "courses",
           # Added: the country of the learner's most frequent IP, and how many events carried that IP.
           "modal_country_code", "modal_country", "modal_ip_events"]
COLLECTION = "learner_locations"
UNKNOWN = "UNKNOWN"  # an IP the offline database cannot place (no IP at all: empty)


def _stored(learner: dict[str, Any], prefix: str) -> Location | None:
    """The place found at load time from the whole address (EDX_STORE_PII other than keep), if any."""
    code = learner.get(f"{prefix}country_code")
    return Location(code, learner.get(f"{prefix}country"), learner.get(f"{prefix}city")) if code else None


def _fields(location: Location | None, ip: str | None) -> dict[str, str | None]:
    """The place's fields; an IP that was seen but is not in the database is `UNKNOWN`, no IP at all
    empty (edx-analytics-pipeline: util/geolocation.py UNKNOWN_CODE vs the NULL of a learner with no IP)."""
    if location is None:
        return {"country_code": UNKNOWN if ip else None, "country": None, "city": None}
    return {"country_code": location.country_code, "country": location.country, "city": location.city}


def locate_learners(db: Database, learners: Iterable[dict[str, Any]], courses: list[ReportCourse],
                    locator: GeoLocator, week: str, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Yield one CSV row per learner (`learners`: learner_ips.choose's rows) while writing the
    `learner_locations` collection aside; it replaces the live collection (one atomic rename) once every
    learner was located."""
    staging = db[f"{COLLECTION}__staging_{week}"]
    staging.drop()
    pending: list[dict] = []
    enrolled_in = _courses_by_user(db, courses)
    for learner in learners:
        registration = _fields(_stored(learner, "place_") or locator.locate(learner["ip"]), learner["ip"])
        modal = _fields(_stored(learner, "modal_place_") or locator.locate(learner["modal_ip"]), learner["modal_ip"])
        pending.append({"_id": learner["user_id"], "week": week, "source": learner["source"], **registration,
                        "modal": {**modal, "events": learner["modal_ip_events"]}})
        if len(pending) >= batch:
            staging.insert_many(pending)
            pending.clear()
        yield {"user_id": learner["user_id"], "username": learner["username"], "source": learner["source"],
               **registration, "courses": enrolled_in.get(learner["user_id"], 0),
               "modal_country_code": modal["country_code"], "modal_country": modal["country"],
               "modal_ip_events": learner["modal_ip_events"]}
    if pending:
        staging.insert_many(pending)
    if staging.name in db.list_collection_names():
        staging.rename(COLLECTION, dropTarget=True)
    else:
        db[COLLECTION].drop()  # no learner with an IP: an empty collection, not last week's


def _courses_by_user(db: Database, courses: list[ReportCourse]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for course in courses:
        for row in db[course.collection("enrollments")].aggregate([{"$group": {"_id": "$user_id"}}]):
            counts[row["_id"]] = counts.get(row["_id"], 0) + 1
    return counts
