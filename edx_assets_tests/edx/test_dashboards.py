"""The course dashboards on report files that are merely empty or unknown: they are drawn, never a failure."""

import csv
from pathlib import Path

from edx_assets.edx import dashboards

COURSE = "course-v1:A+B+C"


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_a_column_empty_in_every_row_is_unknown_not_a_failed_week(tmp_path):
    """Packages whose structures have no chapters leave person_course's `explored` empty in every row (a CSV
    reader takes the column for text): the page is still built, the funnel leaves `explored` out and every
    other stage is counted."""
    week = tmp_path / "reports" / "2026-10-11"
    week.mkdir(parents=True)
    _write(week / "general_report.csv", ["id", "name", "passing_grade"], [[COURSE, "C", ""]])
    header = ["course_id", "user_id", "is_course_team", "viewed", "explored", "certified", "grade"]
    _write(week / "person_course.csv", header, [
        [COURSE, 1, 0, 1, "", 0, ""], [COURSE, 2, 0, 1, "", 1, "0.8"], [COURSE, 3, 0, 0, "", 0, ""],
        [COURSE, 4, 0, 1, "", 0, ""], [COURSE, 5, 0, 1, "", 0, ""], [COURSE, 6, 0, 0, "", 0, ""]])
    pages = dashboards.build(week, tmp_path / "reports", "en", "2026-10-11", min_cell=1)
    course = pages[0]
    assert course.path.is_file() and course.headline["explored"] is None
    assert (course.headline["registered"], course.headline["viewed"], course.headline["certified"]) == (6, 4, 1)
    stages = course.drawn["funnel"].get_column("stage").to_list()
    assert stages == ["Registered", "Viewed", "Certified"]
    assert pages[-1].path.name == "index.html" and pages[-1].path.is_file()
