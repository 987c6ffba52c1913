"""The outline walk, the grading policy table, package member kinds and the opt-in's privacy rule, on small
hand-written inputs whose right answers are stated here."""

import polars as pl

from edx_assets.edx import course_package, layout
from edx_assets.edx.reports import course_axis, grades
from edx_assets.edx.reports.courses import ReportCourse
from edx_assets.edx.reports.pii import PiiPolicy

COURSE = ReportCourse("course-v1:O+N+R", "O/N/R", "n_r", "N", None, None, None, 0.5, "course_xml", True)


def _structure(blocks: list[tuple[str, str, list[str]]]) -> pl.DataFrame:
    return pl.DataFrame({"_id": [b[0] for b in blocks], "order": list(range(len(blocks))),
                         "category": [b[1] for b in blocks], "display_name": [b[0] for b in blocks],
                         "children": [b[2] for b in blocks]},
                        schema_overrides={"children": pl.List(pl.String)})


def test_the_walk_is_depth_first_with_edx2bigquery_paths_and_keeps_orphans_last():
    # Listed out of order (as a structure file may be), with old-style ids and a block no chapter reaches.
    rows = course_axis.walk(_structure([
        ("i4x://O/N/vertical/v1", "vertical", ["i4x://O/N/problem/p1", "i4x://O/N/video/v"]),
        ("i4x://O/N/orphan/x", "html", []),
        ("i4x://O/N/course/R", "course", ["i4x://O/N/chapter/c1", "i4x://O/N/chapter/c2"]),
        ("i4x://O/N/chapter/c2", "chapter", []),
        ("i4x://O/N/sequential/s1", "sequential", ["i4x://O/N/vertical/v1"]),
        ("i4x://O/N/chapter/c1", "chapter", ["i4x://O/N/sequential/s1"]),
        ("i4x://O/N/problem/p1", "problem", []),
        ("i4x://O/N/video/v", "video", []),
    ]))
    assert [(r["index"], r["block_id"].rsplit("/", 1)[-1], r["path"], r["in_outline"]) for r in rows] == [
        (1, "R", "/", 1), (2, "c1", "/c1", 1), (3, "s1", "/c1/s1", 1), (4, "v1", "/c1/s1/1", 1),
        (5, "p1", "/c1/s1/1/1", 1), (6, "v", "/c1/s1/1/2", 1), (7, "c2", "/c2", 1), (8, "x", None, 0)]
    assert rows[4]["chapter"] == "i4x://O/N/chapter/c1" and rows[4]["sequential"] == "i4x://O/N/sequential/s1"


def test_a_course_without_a_policy_has_one_row_that_says_so():
    frame = grades.policy_frame(COURSE, None, "unknown")
    assert frame.rows(named=True) == [{"course_id": COURSE.course_id, "assignment_type": None, "name": None,
                                       "short_label": None, "fraction_of_overall_grade": None, "min_count": None,
                                       "drop_count": None, "passing_grade": 0.5, "grade_cutoffs": None,
                                       "policy_source": "unknown"}]


def test_policy_rows_follow_the_grader_and_name_defaults_to_the_type():
    policy = {"GRADER": [{"type": "Homework", "min_count": 12, "drop_count": 2, "weight": 0.15, "short_label": "HW"},
                         {"type": "Final Exam", "name": "Final", "min_count": 1, "drop_count": 0, "weight": 0.85}],
              "GRADE_CUTOFFS": {"B": 0.7, "A": 0.9}}
    frame = grades.policy_frame(COURSE, policy, "course_xml:policies/R/grading_policy.json")
    assert frame.select("assignment_type", "name", "fraction_of_overall_grade", "min_count", "drop_count").rows() == [
        ("Homework", "Homework", 0.15, 12, 2), ("Final Exam", "Final", 0.85, 1, 0)]
    assert frame["grade_cutoffs"][0] == '{"A":0.9,"B":0.7}'
    assert grades.assignment_weights(policy) == {"Homework": 0.15, "Final Exam": 0.85}


def test_every_member_kind_of_a_package_is_recognised():
    assert course_package.classify("ora/A-B-C-submissions_submission-prod-analytics.sql") == (
        "A-B-C", "submissions_submission", "ora")
    assert course_package.classify("mitx-email_opt_in-prod-analytics.csv") == (None, "email_opt_in", "org_table")
    assert course_package.classify("A-B-C-course-prod-analytics.xml.tar.gz") == ("A-B-C", "course", "course_xml")
    assert course_package.classify("A-B-C-grades_persistentcoursegrade-prod-analytics.sql") == (
        "A-B-C", "grades_persistentcoursegrade", "table")
    assert layout.collection_suffix("grades_persistentsubsectiongrade") == "grades_subsection"
    assert layout.collection_suffix("some_new_table") == "some_new_table"


def test_the_opt_in_leaves_the_files_only_when_personal_data_is_dropped():
    frame = pl.DataFrame({"user_id": [1], "username": ["ana"], "email_opt_in": [1]})
    assert PiiPolicy("drop").columns(frame.columns) == ["user_id"]
    assert PiiPolicy("drop").apply_frame(frame).columns == ["user_id"]
    assert PiiPolicy("include").apply_frame(frame).row(0) == (1, "ana", 1)
    kept = PiiPolicy("pseudonymize", "k").apply_frame(frame)
    assert kept["email_opt_in"][0] == 1 and kept["username"][0] != "ana"
