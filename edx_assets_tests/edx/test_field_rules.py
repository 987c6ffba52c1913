"""The field tables' rules on small hand-made frames (no services): cases the one-week sample world cannot
show, with expected values written from the rule as the docstrings state it."""

from datetime import date, datetime

import polars as pl

from edx_assets.edx import regions
from edx_assets.edx.reports import risk
from edx_assets.edx.reports.courses import ReportCourse

COURSE = ReportCourse("course-v1:A+B+C", None, "b_c", "B", None, datetime(2026, 9, 1), datetime(2026, 12, 1), 0.6,
                      "structure", True)


def _learners(**columns) -> pl.DataFrame:
    base = {"course_id": ["course-v1:A+B+C"] * 4, "user_id": [1, 2, 3, 4], "username": ["a", "b", "c", "d"],
            "mode": ["audit"] * 4, "enrollment_date": [datetime(2026, 9, 2)] * 4, "is_active": [1, 1, 1, 0],
            "is_course_team": [0, 0, 1, 0], "progress": [0.5] * 4, "grade": [None, 0.3, 0.2, 0.1],
            "first_event": [datetime(2026, 9, 3)] * 4, "nevents": [5, 5, 5, 5]}
    return pl.DataFrame({**base, **columns})


def test_inactive_for_7_days_is_at_risk_and_the_team_and_unenrolled_are_not():
    # Sunday 2026-10-25: the cutoff is 10-18 00:00. Learner 1 last came on 10-17 (8 days), learner 2 on 10-20.
    last = [datetime(2026, 10, 17, 23), datetime(2026, 10, 20), datetime(2026, 10, 1), datetime(2026, 10, 1)]
    rows = risk.at_risk(COURSE, _learners(last_event=last), date(2026, 10, 25))
    # Past the midpoint (10-16) learner 2's grade 0.3 < 0.6; learner 3 is course team, learner 4 unenrolled.
    assert dict(zip(rows["user_id"], rows["reasons"], strict=True)) == {
        1: "inactive_7_days", 2: "below_pass_mark_after_midpoint"}
    assert rows.filter(pl.col("user_id") == 1)["days_inactive"].to_list() == [7]


def test_before_the_midpoint_or_without_a_pass_mark_nobody_is_judged_on_grade():
    last = [datetime(2026, 10, 20)] * 4
    early = risk.at_risk(COURSE, _learners(last_event=last), date(2026, 10, 11))
    unknown = ReportCourse(*[getattr(COURSE, f) for f in ("course_id", "legacy_id", "prefix", "name", "sme", "start",
                                                          "end")], None, "unknown", True)
    late = risk.at_risk(unknown, _learners(last_event=last), date(2026, 10, 25))
    assert early.height == 0 and late.height == 0


def test_every_country_code_has_one_region_and_the_partner_countries_are_right():
    assert len(regions.REGION) == 250
    assert regions.un_region("co") == "South America" and regions.continent("MX") == "North America"
    assert regions.un_region("BR") == "South America" and regions.un_region("ES") == "Southern Europe"
    assert regions.continent(None) is None and regions.un_region("ZZ") is None
