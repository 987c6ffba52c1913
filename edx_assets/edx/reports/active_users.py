"""Active learners with their progress in each course (the old `<course>Active_users.csv`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pymongo.database import Database

from edx_assets.edx.reports.courses import ReportCourse
from edx_assets.edx.reports.learners import enrollment_rows, event_activity

COLUMNS = [
    "course_id", "course_name", "user_id", "username", "name", "email", "enrollment_date", "mode",
    "progress", "units_visited", "units_total", "courseware_records", "grade", "certificate_status",
    "first_event", "last_event", "events_last_7_days", "events_last_30_days",
]


def active_user_rows(db: Database, course: ReportCourse, events: str, until: datetime) -> Iterator[dict[str, Any]]:
    """Enrolled, non-staff learners with at least one courseware record, one row each.

    `progress` is the share of the course's leaf blocks (videos, problems, html...) the learner has a
    courseware record for; `courseware_records` is the old "Repetitions".
    """
    activity = event_activity(db, events, course, until)
    for row in enrollment_rows(db, course, with_locations=False):  # no IP columns here
        if row["courseware_records"] == 0 or row["is_staff"]:
            continue
        seen = activity.get(row["user_id"], {})
        row["first_event"] = seen.get("first_event")
        row["last_event"] = seen.get("last_event")
        row["events_last_7_days"] = seen.get("events_last_7_days", 0)
        row["events_last_30_days"] = seen.get("events_last_30_days", 0)
        yield row
