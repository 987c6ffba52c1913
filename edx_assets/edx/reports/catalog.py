"""The warehouse's catalog: every table analysts find in `edx.duckdb`, what one row of it is, its columns
and the keys it joins on. One source for the DuckDB comments (`COMMENT ON`), the Parquet files' field
metadata and docs/data-dictionary.md; the columns' definitions are columns.py's, which the UI shows too.
"""

from __future__ import annotations

from dataclasses import dataclass

from edx_assets.edx import learner_day as ld
from edx_assets.edx.reports import (
    active_users,
    activity,
    answers,
    columns,
    course_axis,
    course_summary,
    demographics,
    engagement,
    enrollments,
    forum,
    general,
    geography,
    grades,
    items,
    locations,
    master,
    modules,
    ora,
    person_course,
    problems,
    retention,
    risk,
)


@dataclass(frozen=True)
class Table:
    definition: str  # what one row is (and where it comes from)
    columns: list[str]  # as the file is written with EDX_REPORTS_PII=keep
    keys: list[str]  # the columns that identify a row within a week


# The column naming a row's course where it is not `course_id` (the old files' names).
COURSE_COLUMN = {"general_report": "id", "enrollments_report": "mooc_id"}
WEEK = "the report's week: its Sunday (the table holds what was known before it)"
DAY = "the day the facts are of (UTC): the partition of the day's events"

# Weekly tables: one per report file, every week loaded so far (`week` first).
TABLES: dict[str, Table] = {
    "general_report": Table("one row per course: enrollment, certificate and demographic totals (the old system's "
                            "general report)", general.CSV_COLUMNS, ["id"]),
    "enrollments_report": Table("one row per enrollment: course, learner, registration date, mode, roles",
                                enrollments.COLUMNS, ["mooc_id", "user_id"]),
    "active_users": Table("one row per active enrollment of every course: progress, grade, certificate",
                          active_users.COLUMNS, ["course_id", "user_id"]),
    "learner_locations": Table("one row per learner: the country and city of their registration IP and of their "
                               "most frequent IP", locations.COLUMNS, ["user_id"]),
    "learners_master": Table("one row per enrollment: the learner's profile, enrollment, progress, grade and "
                             "activity (the old system's learners master file)", master.COLUMNS,
                             ["course_id", "user_id"]),
    "person_course": Table("one row per enrollment: the research field's person_course (edx2bigquery): "
                           "registered, viewed, explored, certified, completed, activity and grade",
                           person_course.COLUMNS, ["course_id", "user_id"]),
    "course_summary": Table("one row per course and breakdown (all, mode, gender, ...): registered, viewed, "
                            "explored, certified, verified and their shares", [*course_summary.COLUMNS, "suppressed"],
                            ["course_id", "dimension", "value"]),
    "enrollment_daily": Table("one row per course, day and mode: enrollments and unenrollments, net and "
                              "cumulative", activity.ENROLLMENT_COLUMNS, ["course_id", "day", "mode"]),
    "video_engagement": Table("one row per course and video: viewers, plays, how far they watched",
                              engagement.VIDEO_COLUMNS, ["course_id", "video_id"]),
    "problem_analysis": Table("one row per course and problem: learners who attempted it, attempts, share right "
                              "first time, mean score", engagement.PROBLEM_COLUMNS, ["course_id", "problem_id"]),
    "video_segments": Table("one row per course, video and segment of its timeline: viewers and views",
                            engagement.SEGMENT_COLUMNS, ["course_id", "video_id", "segment"]),
    "answer_distribution": Table("one row per course, problem part and answer: how many learners gave it first "
                                 "and last", answers.COLUMNS,
                                 ["course_id", "problem_id", "part_id", "variant", "answer_value"]),
    "at_risk_learners": Table("one row per enrollment flagged at risk, with the reasons", risk.AT_RISK_COLUMNS,
                              ["course_id", "user_id"]),
    "engagement_segments": Table("one row per enrollment active in the week: the module-engagement metrics and "
                                 "segments (edx-analytics-pipeline)", risk.SEGMENT_COLUMNS, ["course_id", "user_id"]),
    "enrollment_by_demographics_daily": Table("one row per course, day, demographic dimension and value: "
                                              "enrollments", demographics.COLUMNS,
                                              ["course_id", "date", "dimension", "value"]),
    "geography": Table("one row per course and country: registered, viewed, explored, certified, verified",
                       [*geography.COLUMNS, "suppressed"], ["course_id", "country_code"]),
    "forum_activity": Table("one row per course and learner with forum posts or votes", forum.COLUMNS,
                            ["course_id", "user_id"]),
    "retention_by_cohort": Table("one row per course, mode, enrollment week and week after it: the cohort's "
                                 "active learners", retention.COLUMNS,
                                 ["course_id", "mode", "cohort_week", "week_number"]),
    "course_axis": Table("one row per block of each course's outline, in course order (edx2bigquery's "
                         "course_axis): chapters, sequentials, verticals, problems, videos", course_axis.COLUMNS,
                         ["course_id", "module_id"]),
    "grading_policy": Table("one row per course and assignment type of its grading policy", grades.POLICY_COLUMNS,
                            ["course_id", "assignment_type"]),
    "person_grades": Table("one row per enrollment: the course grade and where it came from",
                           grades.PERSON_GRADES_COLUMNS, ["course_id", "user_id"]),
    "person_subsection_grades": Table("one row per learner and graded subsection: earned and possible points",
                                      grades.SUBSECTION_COLUMNS, ["course_id", "user_id", "block_id"]),
    "person_problem": Table("one row per learner and problem they opened: score, attempts, dates",
                            problems.COLUMNS, ["course_id", "user_id", "problem_id"]),
    "person_item": Table("one row per learner and item (problem part) of their problem records: first and last "
                         "grade, attempts, weight", items.PERSON_ITEM_COLUMNS,
                         ["course_id", "user_id", "problem_id", "item_id"]),
    "course_item": Table("one row per item (problem part): difficulty, discrimination, share attempted",
                         items.COURSE_ITEM_COLUMNS, ["course_id", "problem_id", "item_id"]),
    "item_reliability": Table("one row per course and assignment type: Cronbach's alpha over its graded items",
                              items.RELIABILITY_COLUMNS, ["course_id", "assignment_type"]),
    "time_on_asset": Table("one row per learner and module (block) they had events in: events and time on asset",
                           modules.TIME_ON_ASSET_COLUMNS, ["course_id", "user_id", "module_id"]),
    "section_engagement": Table("one row per chapter and sequential of each course, in outline order: learners "
                                "reached, time spent, graded problems completed", modules.SECTION_COLUMNS,
                                ["course_id", "module_id"]),
    "ora_activity": Table("one row per learner and open-response item: submissions, assessments given and "
                          "received, scores", ora.COLUMNS, ["course_id", "user_id", "item_id"]),
}

# The day's facts, Parquet partitioned by day (`facts/<table>/day=<day>/`): views in the warehouse.
FACT_DAY_COLUMNS = [name for name, kind, _ in ld.COLUMNS if kind != "list" and name not in ("day", "username")]
FACTS: dict[str, Table] = {
    "learner_day": Table("one row per learner, course and day with events: the day's events, sessions, time on "
                         "task, video, problem and forum activity (nested details stay in MongoDB)",
                         FACT_DAY_COLUMNS, ["course_id", "user_id", "day"]),
    "activity_daily": Table("one row per course and day: active learners and events",
                            [c for c in activity.ACTIVITY_COLUMNS if c != "day"], ["course_id", "day"]),
}

# Views joining them: (definition, SQL, the table whose columns' definitions they keep).
VIEWS: dict[str, tuple[str, str, str]] = {
    "dim_course": ("one row per course of the newest week: its name, dates, totals and pass mark (general_report)",
                   "SELECT id AS course_id, * EXCLUDE (id, week) FROM latest_general_report", "general_report"),
    "dim_learner": ("one row per enrollment of the newest week: the learner's profile and enrollment "
                    "(learners_master)", "SELECT * EXCLUDE (week) FROM latest_learners_master", "learners_master"),
    "dim_module": ("one row per block of each course's outline in the newest week (course_axis)",
                   "SELECT * EXCLUDE (week) FROM latest_course_axis", "course_axis"),
}
FACT_VIEWS = {"fact_learner_day": "learner_day", "fact_activity_daily": "activity_daily"}


def course_column(table: str) -> str:
    """The column of `table` that names a row's course."""
    return COURSE_COLUMN.get(table, "course_id")


def describe(table: str, names: list[str]) -> list[tuple[str, str, str]]:
    """(name, type, definition) of a warehouse table's (or view's) columns, `week` and `day` included."""
    fixed = {"week": (columns.DATE, WEEK), "day": (columns.DATE, DAY)}
    table = FACT_VIEWS.get(table) or (VIEWS[table][2] if table in VIEWS else table.removeprefix("latest_"))
    if table == "learner_day":
        own = {name: (kind, text) for name, kind, text in ld.COLUMNS}
        return [(n, *(fixed.get(n) or own[n])) for n in names]
    own = TABLES[table].columns if table in TABLES else FACTS[table].columns if table in FACTS else []
    rest = [n for n in names if n not in fixed or n in own]  # a table's own `week` keeps its definition
    described = {n: (k, t) for n, k, t in columns.describe(table, rest)}
    return [(n, *(described.get(n) or fixed[n])) for n in names]


def definition(table: str) -> str:
    """The one-line definition of a warehouse table or view."""
    if table in TABLES:
        return TABLES[table].definition
    if table.startswith("latest_") and table[7:] in TABLES:
        return f"the newest week of {table[7:]}: {TABLES[table[7:]].definition}"
    if table in VIEWS:
        return VIEWS[table][0]
    if table in FACTS:
        return FACTS[table].definition
    if table in FACT_VIEWS:
        return f"every day loaded so far: {FACTS[FACT_VIEWS[table]].definition}"
    raise KeyError(table)


# How the tables join: (left, right, on), in words for the dictionary.
JOINS = [
    ("any weekly table", "the same week of another", "`week` (a date: the week's Sunday), then the keys below"),
    ("per-learner tables (person_course, learners_master, person_grades, time_on_asset, person_item, ...)",
     "dim_learner", "`course_id`, `user_id`"),
    ("general_report, enrollments_report", "the rest", "their course column: `general_report.id` and "
     "`enrollments_report.mooc_id` are `course_id`"),
    ("course_item, person_item, person_problem, problem_analysis, answer_distribution", "dim_module / course_axis",
     "`problem_id` = `block_id` (the usage key), or the block's `url_name`"),
    ("time_on_asset, section_engagement", "dim_module / course_axis", "`course_id`, `module_id`"),
    ("fact_learner_day", "dim_learner", "`course_id`, `user_id` (every day of the learner's enrollment)"),
    ("fact_learner_day, fact_activity_daily", "a weekly table", "the days before the week's Sunday: "
     "`day >= week - 7 AND day < week`"),
]

# Worked examples (title, SQL): the dictionary shows them and the tests run them on a real warehouse.
EXAMPLES: list[tuple[str, str]] = [
    ("The funnel of each course in the newest week",
     "SELECT c.course_id, c.name, s.registered, s.viewed, s.explored, s.certified\n"
     "FROM dim_course c JOIN latest_course_summary s USING (course_id)\n"
     "WHERE s.dimension = 'all'\nORDER BY c.course_id"),
    ("Active learners per course and day",
     "SELECT course_id, day, active_users, events\nFROM fact_activity_daily\nORDER BY course_id, day"),
    ("Hours on task by enrollment mode (days joined to learners)",
     "SELECT l.mode, count(DISTINCT f.user_id) AS learners, round(sum(f.time_on_task_30) / 3600, 2) AS hours\n"
     "FROM fact_learner_day f JOIN dim_learner l USING (course_id, user_id)\n"
     "GROUP BY l.mode\nORDER BY l.mode"),
    ("The ten hardest items, placed in the outline",
     "SELECT i.course_id, m.chapter_name, i.problem_name, i.item_id, i.learners, i.difficulty, i.discrimination\n"
     "FROM latest_course_item i JOIN dim_module m ON m.course_id = i.course_id AND m.block_id = i.problem_id\n"
     "WHERE i.learners > 0\nORDER BY i.difficulty, i.course_id, i.item_id\nLIMIT 10"),
    ("Certified learners per course, week after week",
     "SELECT week, course_id, sum(certified) AS certified, count(*) AS enrollments\n"
     "FROM person_course\nGROUP BY week, course_id\nORDER BY week, course_id"),
]
