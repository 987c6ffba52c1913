"""Active learners with their progress in each course (the old `<course>Active_users.csv`)."""

from __future__ import annotations

from datetime import date

import polars as pl
from pymongo.database import Database

from edx_assets.edx.reports import roles
from edx_assets.edx.reports.courses import ReportCourse
from edx_assets.edx.reports.learners import enrollment_frame, recent_events, week_totals, with_activity

COLUMNS = [
    "course_id", "course_name", "user_id", "username", "name", "email", "enrollment_date", "mode",
    "progress", "units_visited", "units_total", "courseware_records", "grade", "certificate_status",
    "first_event", "last_event", "events_last_7_days", "events_last_30_days",
    *roles.COLUMNS[:-1],  # added: course roles (the course team is not in this file)
]


def active_users_frame(db: Database, course: ReportCourse, until: date) -> pl.DataFrame:
    """Enrolled learners with at least one courseware record, one row each; the course team (edX staff,
    any course access role, forum moderators: roles.py) is left out.

    `progress` is the share of the course's leaf blocks (videos, problems, html...) the learner has a
    courseware record for; `courseware_records` is the old "Repetitions"; first/last event come from
    `learner_totals`, the recent event counts from the `learner_day` rows of the 30 days before the
    week's Sunday (a bounded read).
    """
    enrolled = enrollment_frame(db, course, None)  # no IP columns here
    active = enrolled.filter((pl.col("courseware_records") > 0) & (pl.col("is_course_team") == 0))
    times = week_totals(db, course, until, ["first_event", "last_event"]).select("user_id", "first_event", "last_event")
    return with_activity(active.join(times, on="user_id", how="left"), recent_events(db, course, until))
