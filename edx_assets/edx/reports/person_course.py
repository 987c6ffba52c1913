"""person_course: one row per learner per course, the MIT/Harvard person-course layout."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pymongo.database import Database

from edx_assets.edx.reports.courses import ReportCourse
from edx_assets.edx.reports.learners import CONTAINERS, enrollment_rows, event_activity

FLAGS = ("registered", "viewed", "explored", "certified", "completed")
COLUMNS = [
    "course_id", "user_id", "username", "registered", "viewed", "explored", "certified", "completed",
    "mode", "grade", "first_event", "last_event", "nevents", "ndays_act", "nplay_video", "nproblem_check",
    "nforum_posts", "nchapters", "gender", "year_of_birth", "level_of_education", "country", "ip_country",
    "ip_country_modal",  # added: the country of the learner's most frequent IP
]


def chapter_of_blocks(db: Database, course: ReportCourse) -> tuple[dict[str, str], int]:
    """Leaf block id -> its chapter's id, and the number of chapters, from the course structure."""
    parent: dict[str, str] = {}
    category: dict[str, str] = {}
    for block in db[course.collection("structure")].find({}, {"children": 1, "category": 1}):
        category[block["_id"]] = block.get("category")
        for child in block.get("children") or []:
            parent[child] = block["_id"]
    chapters = sum(1 for c in category.values() if c == "chapter")
    result = {}
    for block_id, kind in category.items():
        if kind in CONTAINERS:
            continue
        node, hops = block_id, 0
        while node in parent and category.get(node) != "chapter" and hops < 20:
            node, hops = parent[node], hops + 1
        if category.get(node) == "chapter":
            result[block_id] = node
    return result, chapters


def person_course_rows(db: Database, events: str, course: ReportCourse, until: datetime) -> Iterator[dict[str, Any]]:
    """registered: enrolled; viewed: any courseware record; explored: visited at least half the
    chapters (None without a course structure); certified: a `downloadable` certificate; completed: grade >= the course's pass mark (None
    when the course states no pass mark: unknown, not 0)."""
    chapter_of, n_chapters = chapter_of_blocks(db, course)
    counts = event_activity(db, events, course, until)
    modules_by_user = {row["_id"]: row["modules"] for row in db[course.collection("courseware")].aggregate(
        [{"$group": {"_id": "$student_id", "modules": {"$addToSet": "$module_id"}}}], allowDiskUse=True)}
    for row in enrollment_rows(db, course):
        modules = modules_by_user.get(row["user_id"], [])
        chapters = {chapter_of[m] for m in modules if m in chapter_of}
        seen = counts.get(row["user_id"], {})
        grade = row["grade"]
        yield {
            **row,
            "registered": 1,
            "viewed": int(row["courseware_records"] > 0),
            # No chapters known (no structure loaded): explored is unknown, not 0.
            "explored": int(len(chapters) * 2 >= n_chapters) if n_chapters else None,
            "certified": int(row["certificate_status"] == "downloadable"),
            "completed": None if course.passing_grade is None
            else int(isinstance(grade, (int, float)) and grade >= course.passing_grade),
            "nchapters": len(chapters),
            "first_event": seen.get("first_event"), "last_event": seen.get("last_event"),
            "nevents": seen.get("nevents", 0), "ndays_act": seen.get("ndays_act", 0),
            "nplay_video": seen.get("nplay_video", 0), "nproblem_check": seen.get("nproblem_check", 0),
            "nforum_posts": seen.get("nforum_posts", 0),
        }
