"""Every column of every report file is typed and defined, so the UI's column schema never says just
`string` with no description (no services needed)."""

import pytest

from edx_assets.edx.reports import (
    active_users,
    activity,
    answers,
    columns,
    course_summary,
    demographics,
    engagement,
    enrollments,
    forum,
    general,
    geography,
    locations,
    master,
    person_course,
    retention,
    risk,
)

TABLES = {
    "general_report": general.CSV_COLUMNS, "enrollments_report": enrollments.COLUMNS,
    "active_users": active_users.COLUMNS, "learner_locations": locations.COLUMNS, "learners_master": master.COLUMNS,
    "person_course": person_course.COLUMNS, "course_summary": course_summary.COLUMNS,
    "activity_daily": activity.ACTIVITY_COLUMNS, "enrollment_daily": activity.ENROLLMENT_COLUMNS,
    "video_engagement": engagement.VIDEO_COLUMNS, "problem_analysis": engagement.PROBLEM_COLUMNS,
    "video_segments": engagement.SEGMENT_COLUMNS, "answer_distribution": answers.COLUMNS,
    "at_risk_learners": risk.AT_RISK_COLUMNS, "engagement_segments": risk.SEGMENT_COLUMNS,
    "enrollment_by_demographics_daily": demographics.COLUMNS, "geography": geography.COLUMNS,
    "forum_activity": forum.COLUMNS, "retention_by_cohort": retention.COLUMNS,
}
TYPES = {"string", "integer", "float", "0/1", "datetime", "date", "boolean"}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_report_column_has_a_type_and_a_definition(table):
    described = columns.describe(table, TABLES[table])
    assert [name for name, _, _ in described] == list(TABLES[table])
    for name, kind, text in described:
        assert kind in TYPES, (table, name, kind)
        assert len(text) >= 8, (table, name)


def test_a_column_nobody_described_is_an_error():
    with pytest.raises(KeyError):
        columns.describe("person_course", ["no_such_column"])
