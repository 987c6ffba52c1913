"""The item statistics on hand-made person_item rows (no services): a problem nobody opened, a course with
one learner, and a small class whose figures are worked out by hand below."""

from datetime import datetime

import polars as pl

from edx_assets.edx.reports.courses import ReportCourse
from edx_assets.edx.reports.items import (
    COURSE_ITEM_COLUMNS,
    answers_shown,
    course_item_frame,
    item_weights,
    reliability_frame,
)

COURSE = ReportCourse(course_id="course-v1:X+Y+Z", legacy_id=None, prefix="x_y_z", name=None, sme=None, start=None,
                      end=None, passing_grade=None, passing_grade_source="unknown", in_latest_package=True)
AXIS = pl.DataFrame({"course_id": ["course-v1:X+Y+Z"] * 3, "category": ["problem"] * 3, "url_name": ["p1", "p2", "p3"],
                     "index": [2, 3, 4], "name": ["P1", "P2", "P3"], "gformat": ["Homework"] * 3, "graded": [1, 1, 1]})


def _items(rows: list[tuple[int, str, int]]) -> pl.DataFrame:
    return pl.DataFrame({"course_id": ["course-v1:X+Y+Z"] * len(rows), "user_id": [r[0] for r in rows],
                         "problem_id": [f"block-v1:X+Y+Z+type@problem+block@{r[1]}" for r in rows],
                         "item_id": [f"{r[1]}_2_1" for r in rows], "item_grade": [r[2] for r in rows],
                         "n_attempts": [1] * len(rows), "gformat": ["Homework"] * len(rows), "graded": [1] * len(rows),
                         "last_modified": [None] * len(rows), "first_item_grade": [None] * len(rows),
                         "item_weight": [0.25] * len(rows)},
                        schema_overrides={"last_modified": pl.Datetime, "first_item_grade": pl.Int64})


def test_a_problem_nobody_opened_has_a_row_with_no_learner_and_no_figure():
    table = course_item_frame(COURSE, _items([(1, "p1", 1), (2, "p1", 0)]), AXIS, enrolled=4)
    assert table.columns == COURSE_ITEM_COLUMNS
    unseen = table.filter(pl.col("problem_id").is_in(["p2", "p3"])).to_dicts()
    assert [(r["problem_id"], r["item_id"], r["learners"], r["difficulty"], r["discrimination"], r["share_attempted"])
            for r in unseen] == [("p2", None, 0, None, None, 0.0), ("p3", None, 0, None, None, 0.0)]


def test_a_course_with_one_learner_has_difficulty_but_no_discrimination_or_alpha():
    rows = _items([(7, "p1", 1), (7, "p2", 0)])
    table = course_item_frame(COURSE, rows, AXIS, enrolled=1).filter(pl.col("learners") > 0)
    assert sorted((r["item_id"], r["difficulty"], r["discrimination"]) for r in table.to_dicts()) == [
        ("p1_2_1", 1.0, None), ("p2_2_1", 0.0, None)]
    [alpha] = reliability_frame(COURSE, rows).to_dicts()
    assert (alpha["items"], alpha["learners"], alpha["alpha"]) == (2, 1, None)  # no variance in one total


def test_figures_of_a_small_class_worked_by_hand():
    # learners 1-4 on p1, p2, p3 (1 = right):  1: 1 1 1   2: 1 1 0   3: 1 0 0   4: 0 0 0
    rows = _items([(1, "p1", 1), (1, "p2", 1), (1, "p3", 1), (2, "p1", 1), (2, "p2", 1), (2, "p3", 0),
                   (3, "p1", 1), (3, "p2", 0), (3, "p3", 0), (4, "p1", 0), (4, "p2", 0), (4, "p3", 0)])
    table = {r["item_id"]: r for r in course_item_frame(COURSE, rows, AXIS, enrolled=8).to_dicts()}
    # p1: right 3 of 4; rests 2, 1, 0, 0: cov = 3/4 - 9/16 = 3/16, var(x) = 3/16, var(rest) = 5/4 - 9/16 = 11/16
    # -> corr = (3/16) / sqrt(3/16 * 11/16) = sqrt(3/11)
    assert table["p1_2_1"]["difficulty"] == 0.75 and table["p1_2_1"]["share_attempted"] == 0.5
    assert table["p1_2_1"]["item_weight"] == 0.25  # the item's weight, as its person_item rows carry it
    assert abs(table["p1_2_1"]["discrimination"] - (3 / 11) ** 0.5) < 1e-12
    # alpha: item variances 3/16 + 4/16 + 3/16 = 10/16; totals 3, 2, 1, 0 -> variance 5/4;
    # 3/2 * (1 - (10/16) / (5/4)) = 3/4
    [alpha] = reliability_frame(COURSE, rows).to_dicts()
    assert (alpha["assignment_type"], alpha["items"], alpha["learners"]) == ("Homework", 3, 4)
    assert abs(alpha["alpha"] - 0.75) < 1e-12


def test_item_weights_share_the_type_weight_as_worked_by_hand():
    # Homework (half the grade) has two assignments: seq a holds p1 (weight 2, two items) and p2 (weight 1),
    # seq b holds p3 (weight unset: 1); p4 is not graded.
    axis = pl.DataFrame({"category": ["problem"] * 4, "url_name": ["p1", "p2", "p3", "p4"],
                         "gformat": ["Homework", "Homework", "Homework", None], "graded": [1, 1, 1, 0],
                         "path": ["/ch/a/1/1", "/ch/a/2/1", "/ch/b/1/1", "/ch/c/1/1"],
                         "problem_weight": ["2.0", "1.0", "", ""], "assignment_type_weight": ["0.5"] * 3 + [""]})
    entries = pl.DataFrame({"url_name": ["p1", "p1", "p1", "p2", "p3", "p4"],
                            "item_id": ["p1_2_1", "p1_3_1", "p1_2_1", "p2_2_1", "p3_2_1", "p4_2_1"]})
    weights = {r["item_id"]: r["item_weight"] for r in item_weights(entries, axis).to_dicts()}
    # p1: 2 * 0.5 / 2 items / 3 (a's weights) / 2 assignments = 1/12 each; p2: 1 * 0.5 / 1 / 3 / 2 = 1/12;
    # p3: 1 * 0.5 / 1 / 1 / 2 = 1/4; together the type's 0.5.
    assert set(weights) == {"p1_2_1", "p1_3_1", "p2_2_1", "p3_2_1"}
    for item, expected in {"p1_2_1": 1 / 12, "p1_3_1": 1 / 12, "p2_2_1": 1 / 12, "p3_2_1": 1 / 4}.items():
        assert abs(weights[item] - expected) < 1e-12, item


def test_share_shown_the_answer_first_counts_only_learners_whose_events_show_the_problem():
    t = [datetime(2026, 10, 5, 10, m) for m in range(3)]
    p1 = "block-v1:X+Y+Z+type@problem+block@p1"
    # 1: answer shown, then right (shown first); 2: right, then shown (not); 3: shown, never right (shown
    # first); 4: a record but no event of the problem (not counted).
    detail = {1: (t[0], t[1]), 2: (t[2], t[0]), 3: (t[1], None)}
    totals = pl.DataFrame({"user_id": list(detail), "problem_detail": [
        [{"problem": p1, "first_show_answer": shown, "first_right": right}] for shown, right in detail.values()]})
    rows = _items([(1, "p1", 1), (2, "p1", 1), (3, "p1", 0), (4, "p1", 1)])
    [row] = course_item_frame(COURSE, rows, AXIS, enrolled=4, shown=answers_shown(totals)).filter(
        pl.col("learners") > 0).to_dicts()
    assert row["learners"] == 4 and abs(row["share_answer_shown_first"] - 2 / 3) < 1e-12
    [unseen] = course_item_frame(COURSE, rows, AXIS, enrolled=4).filter(pl.col("learners") > 0).to_dicts()
    assert unseen["share_answer_shown_first"] is None  # no events known: no figure
