"""person_course: one row per learner per course, the MIT/Harvard person-course layout (edx2bigquery's
`person_course`), as a polars rollup of the course collections and `learner_totals`."""

from __future__ import annotations

from datetime import date

import polars as pl
from pymongo.database import Database

from edx_assets.edx.reports import frames, grades, memberships, roles
from edx_assets.edx.reports.courses import ReportCourse
from edx_assets.edx.reports.learners import CONTAINERS, activity_totals, enrollment_frame, with_activity

FLAGS = ("registered", "viewed", "explored", "certified", "completed")
COLUMNS = [
    "course_id", "user_id", "username", "registered", "viewed", "explored", "certified", "completed",
    "mode", "grade", "first_event", "last_event", "nevents", "ndays_act", "nplay_video", "nproblem_check",
    "nforum_posts", "nchapters", "gender", "year_of_birth", "level_of_education", "country", "ip_country",
    "ip_country_modal",  # added: the country of the learner's most frequent IP
    # added (learner_day summed over the course's life): edx2bigquery's person_course_day totals
    "sessions", "time_on_task_5", "time_on_task_30", "video_seconds_watched", "nvideos", "nproblems",
    "nshow_answer", "nforum_threads", "nforum_responses", "nforum_comments",
    *roles.COLUMNS,  # added: course roles (edx2bigquery's roles table)
    # added: the course grade's source and pass (reports/grades.py), groups, upgrade, e-mail opt-in
    "grade_source", "passed_at", *memberships.COLUMNS[:3], "verified_upgrade_at", "email_opt_in",
]


def chapter_of_blocks(structure: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Leaf block id -> its chapter's id (module_id, chapter), and the number of chapters."""
    category: dict[str, str] = dict(zip(structure.get_column("_id").to_list(),
                                        structure.get_column("category").to_list(), strict=True))
    parent: dict[str, str] = {}
    for block, children in zip(structure.get_column("_id").to_list(), structure.get_column("children").to_list(),
                                strict=True):
        for child in children or []:
            parent[child] = block
    pairs = []
    for block_id, kind in category.items():
        if kind in CONTAINERS:
            continue
        node, hops = block_id, 0
        while node in parent and category.get(node) != "chapter" and hops < 20:
            node, hops = parent[node], hops + 1
        if category.get(node) == "chapter":
            pairs.append((block_id, node))
    chapters = sum(1 for c in category.values() if c == "chapter")
    return pl.DataFrame(pairs, schema={"module_id": pl.String, "chapter": pl.String}, orient="row"), chapters


def person_course_frame(db: Database, course: ReportCourse, until: date, locations: pl.DataFrame,
                        upgrades: pl.DataFrame | None = None) -> pl.DataFrame:
    """registered: enrolled; viewed: any courseware record; explored: visited at least half the chapters
    (None without a course structure); certified: a `downloadable` certificate; grade: the course grade
    (grades.course_grades: the persistent grade, else the certificate's, `grade_source` says which);
    completed: the grade passes (`passed`; edX's passed_timestamp, else the certificate grade >= the pass
    mark); a learner without any grade has not completed, unless nothing could say (no persistent grades
    delivered and no pass mark: unknown, not 0); the activity columns are the week's `learner_totals` (every
    learner day before `until`, summed); cohort, partition_groups, team, email_opt_in (memberships.py) and
    verified_upgrade_at (`upgrades`: memberships.verified_upgrades of the enrollment events)."""
    structure = frames.read(db, course.collection("structure"), {**frames.STRUCTURE, "children": frames.TEXT_LIST})
    courseware = frames.read(db, course.collection("courseware"), frames.COURSEWARE)
    chapter_of, n_chapters = chapter_of_blocks(structure)
    chapters = (courseware.join(chapter_of, on="module_id", how="inner").group_by("student_id")
                .agg(pl.col("chapter").n_unique().alias("nchapters")).rename({"student_id": "user_id"}))
    enrolled = enrollment_frame(db, course, locations, structure=structure, courseware=courseware)
    rows = (with_activity(enrolled, activity_totals(db, course, until)).join(chapters, on="user_id", how="left")
            .join(memberships.memberships(db, course), on="user_id", how="left")
            .join(memberships.upgrades_of(memberships.no_upgrades() if upgrades is None else upgrades, course),
                  on="user_id", how="left"))
    decidable = grades.pass_decidable(course)
    return rows.with_columns(
        pl.lit(1).alias("registered"),
        (pl.col("courseware_records") > 0).cast(pl.Int64).alias("viewed"),
        # No chapters known (no structure loaded): explored is unknown, not 0.
        ((pl.col("nchapters").fill_null(0) * 2 >= n_chapters).cast(pl.Int64) if n_chapters
         else pl.lit(None, dtype=pl.Int64)).alias("explored"),
        (pl.col("certificate_status") == "downloadable").fill_null(False).cast(pl.Int64).alias("certified"),
        (pl.col("passed").fill_null(0) if decidable else pl.col("passed")).cast(pl.Int64).alias("completed"),
        pl.col("nchapters").fill_null(0),
    )
