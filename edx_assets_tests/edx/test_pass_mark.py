"""Where a course's pass mark comes from, and that none is ever invented (no services needed)."""

import pytest

from edx_assets.edx.course_load import passing_grade
from edx_assets.edx.reports.courses import pass_mark, read_metadata_file


@pytest.mark.parametrize(("metadata", "expected"), [
    # edX's structure export: the course block's grading policy.
    ({"grading_policy": {"GRADE_CUTOFFS": {"Pass": 0.6}, "GRADER": []}},
     (0.6, "structure:grading_policy.GRADE_CUTOFFS")),
    # Letter grades: the lowest cutoff passes.
    ({"grading_policy": {"GRADE_CUTOFFS": {"A": 0.9, "B": 0.8, "C": 0.7}}},
     (0.7, "structure:grading_policy.GRADE_CUTOFFS")),
    # The grading policy wins over a top-level grade_cutoffs.
    ({"grading_policy": {"GRADE_CUTOFFS": {"Pass": 0.65}}, "grade_cutoffs": {"Pass": 0.5}},
     (0.65, "structure:grading_policy.GRADE_CUTOFFS")),
    ({"grade_cutoffs": {"Pass": 0.55}}, (0.55, "structure:grade_cutoffs")),
    # Nothing usable: unknown, not edX's 0.5 default.
    ({}, (None, "unknown")),
    ({"grading_policy": {"GRADE_CUTOFFS": {}}}, (None, "unknown")),
    ({"grading_policy": {"GRADE_CUTOFFS": {"Pass": "0.6"}}}, (None, "unknown")),
    ({"grading_policy": {"GRADE_CUTOFFS": {"Pass": True}}}, (None, "unknown")),
    ({"grading_policy": "weird"}, (None, "unknown")),
])
def test_pass_mark_from_the_course_block(metadata, expected):
    assert passing_grade(metadata) == expected


def test_catalog_mark_first_then_metadata_file_then_unknown():
    catalog = {"passing_grade": 0.7, "passing_grade_source": "structure:grading_policy.GRADE_CUTOFFS"}
    assert pass_mark(catalog, {"passing_grade": 0.4}) == (0.7, "structure:grading_policy.GRADE_CUTOFFS")
    assert pass_mark({"passing_grade": None}, {"passing_grade": 0.4}) == (0.4, "metadata_file")
    assert pass_mark({"passing_grade": None}, {"passing_grade": ""}) == (None, "unknown")
    assert pass_mark({}, {}) == (None, "unknown")


def test_metadata_file_pass_marks_are_shares_and_a_bad_one_names_file_and_line(tmp_path):
    good = tmp_path / "courses.csv"
    good.write_text("course_id,passing_grade\ncourse-v1:A+B+C,0.6\nX/Y/Z,\n", encoding="utf-8")
    assert read_metadata_file(str(good))["course-v1:A+B+C"]["passing_grade"] == 0.6
    assert read_metadata_file(str(good))["course-v1:X+Y+Z"]["passing_grade"] == ""
    bad = tmp_path / "bad.csv"
    bad.write_text("course_id,passing_grade\ncourse-v1:A+B+C,0.6\ncourse-v1:A+B+D,60\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.csv, line 3: passing_grade '60' is not a share"):
        read_metadata_file(str(bad))
