"""Item tables: person_item (learner x problem part), course_item (item statistics) and item_reliability.

An item is one response of a problem (a key of the courseware record's `correct_map`, e.g. `<block>_2_1`), as
in edx2bigquery's make_item_tables.py and simeon's person_item.sql, which read the same studentmodule rows
(their `problem_analysis`): item_grade = 1 when the record's correct_map says `correct`, else 0 (the
learner's last submitted state: first answers are in learner_day's answer_detail).

Statistics (classical test theory; the formulas as in Crocker & Algina, Introduction to Classical and
Modern Test Theory, ch. 14-15; edx2bigquery computes Stata's `alpha ... item` on problem scores):
- difficulty: the mean item_grade of the learners with the item (the share who got it right);
- discrimination: the point-biserial correlation, over the learners with the item, between item_grade and
  the learner's rest score: the sum of their item grades on the course's other graded items (an item they
  have no record of counts 0). Empty when either side does not vary (one learner, everyone right);
- share_attempted: learners with the item / learners enrolled in the course;
- Cronbach's alpha per course and assignment type, over its graded items and the learners with any of them
  (an item a learner has no record of counts 0): alpha = k/(k-1) * (1 - sum(var_i) / var(total)), variances
  over learners (population form; the ratio is the same with either form). Empty with fewer than 2 items
  or no variance in the totals.
- first_item_grade: the learner's first answer to the item as graded (1 right, 0 wrong) from the
  server-side problem_check events (learner_totals' answer_detail, the part being the item); empty when no
  event graded it (answered on a device whose events did not reach the log, or before the logs begin);
- item_weight (edx2bigquery make_item_tables.py `course_item`): the item's share of the course grade,
  problem_weight * fraction_of_overall_grade / n_items / sum_problem_weight_in_assignment /
  n_assignments_of_type, with problem_weight the axis' weight (1 when unset), fraction_of_overall_grade its
  assignment type's weight, n_items the problem's items seen in the records, an assignment a graded
  sequential. Unlike edx2bigquery, every graded problem of the outline counts in its assignment's weight
  sum (not only problems with more than 5 responses), so an unopened problem keeps its share; empty for a
  problem that is not graded or whose type has no weight (no grading policy). Drops are ignored, as there.
- share_answer_shown_first: of the item's learners whose events show the problem (a check or a
  show-answer in learner_totals' problem_detail), the share whose first show-answer came before their first
  right check (or who never got it right); show-answer is a problem's button, so every item of a problem has
  its problem's share. Empty when no learner of the item has events of the problem.
An item nobody has a record of cannot be named (its ids live only in learners' records): its problem shows
in course_item with item_id empty and learners 0.
"""

from __future__ import annotations

import polars as pl
from pymongo.database import Database

from edx_assets.edx import blocks
from edx_assets.edx.reports import frames, problems
from edx_assets.edx.reports.courses import ReportCourse

PERSON_ITEM_COLUMNS = ["course_id", "user_id", "problem_id", "item_id", "item_grade", "n_attempts", "gformat",
                       "graded", "last_modified", "first_item_grade", "item_weight"]
COURSE_ITEM_COLUMNS = ["course_id", "problem_id", "item_id", "index", "problem_name", "gformat", "graded",
                       "learners", "share_attempted", "difficulty", "discrimination", "item_weight",
                       "share_answer_shown_first"]
RELIABILITY_COLUMNS = ["course_id", "assignment_type", "items", "learners", "alpha"]
# What person_item and course_item read of learner_totals' detail (MongoDB sends only these fields).
FIRST_GRADE_FIELDS = {"answer_detail": ["problem", "part", "first_time", "first_correct"]}
SHOWN_FIELDS = {"problem_detail": ["problem", "first_show_answer", "first_right"]}
READ = {"student_id": frames.INT, "module_id": frames.TEXT, "state": frames.TEXT, "modified": frames.TIME}
_ENTRY = r'"([^"]+)":\s*\{\s*"correctness":\s*"([a-z_]+)"'  # one correct_map entry: its item id and correctness


def person_item_frame(db: Database, course: ReportCourse, axis: pl.DataFrame, totals: pl.DataFrame) -> pl.DataFrame:
    """PERSON_ITEM_COLUMNS for one course: one row per learner and item of their problem records; `totals`:
    the course's learner_totals of the week with answer_detail (every user: the records hold them all)."""
    entries = (problems.problem_records(db, course, READ)
               .with_columns(pl.col("state").str.extract_all(_ENTRY).alias("entry")).explode("entry")
               .filter(pl.col("entry").is_not_null())
               .with_columns(pl.col("entry").str.extract(_ENTRY, 1).alias("item_id"),
                             (pl.col("entry").str.extract(_ENTRY, 2) == "correct").cast(pl.Int64).alias("item_grade")))
    return (entries.join(problems.outline_problems(axis), on="url_name", how="left")
            .join(first_grades(totals), left_on=["student_id", "url_name", "item_id"],
                  right_on=["user_id", "url_name", "item_id"], how="left")
            .join(item_weights(entries, axis), on=["url_name", "item_id"], how="left")
            .with_columns(pl.lit(course.course_id).alias("course_id"), pl.col("student_id").alias("user_id"),
                          pl.col("module_id").alias("problem_id"), pl.col("modified").alias("last_modified"))
            .sort(["user_id", "index", "item_id"], nulls_last=True).select(PERSON_ITEM_COLUMNS))


def first_grades(totals: pl.DataFrame) -> pl.DataFrame:
    """Per user, problem (its block name) and part: the first answer as graded, 1/0 (null when ungraded)."""
    schema = {"user_id": pl.Int64, "url_name": pl.String, "item_id": pl.String, "first_item_grade": pl.Int64}
    if totals.height == 0:
        return pl.DataFrame(schema=schema)
    answers = frames.nested_rows(totals, "answer_detail")
    # One problem may appear under two id forms (old and new keys): the earliest first answer counts.
    return (answers.select(pl.col("user_id").cast(pl.Int64), blocks.key_expr(pl.col("problem")).alias("url_name"),
                           pl.col("part").alias("item_id"), "first_time",
                           pl.col("first_correct").cast(pl.Int64).alias("first_item_grade"))
            .sort("user_id", "url_name", "item_id", "first_time", nulls_last=True)
            .group_by("user_id", "url_name", "item_id", maintain_order=True).agg(pl.col("first_item_grade").first())
            .cast(schema))


def item_weights(entries: pl.DataFrame, axis: pl.DataFrame) -> pl.DataFrame:
    """Per item seen in the records (url_name, item_id): item_weight, edx2bigquery's formula (module docstring)."""
    graded = (axis.filter((pl.col("category") == "problem") & pl.col("gformat").is_not_null() & (pl.col("graded") == 1))
              .select("url_name", "gformat", pl.col("path").str.extract(r"^(/[^/]+/[^/]+)").alias("assignment"),
                      pl.col("problem_weight").cast(pl.Float64, strict=False).fill_null(1.0).alias("weight"),
                      pl.col("assignment_type_weight").cast(pl.Float64, strict=False).alias("type_weight"))
              .with_columns(pl.col("weight").sum().over("assignment").alias("assignment_weight"),
                            pl.col("assignment").n_unique().over("gformat").alias("assignments")))
    seen = entries.select("url_name", "item_id").unique()
    counted = seen.join(seen.group_by("url_name").agg(pl.len().alias("n_items")), on="url_name")
    return counted.join(graded, on="url_name", how="inner").select(
        "url_name", "item_id",
        (pl.col("weight") * pl.col("type_weight") / pl.col("n_items") / pl.col("assignment_weight")
         / pl.col("assignments")).alias("item_weight"))


def answers_shown(totals: pl.DataFrame) -> pl.DataFrame:
    """Per user and problem (its block name) with events of it: whether the answer was shown before the first
    right check (learner_totals' problem_detail; a problem under two id forms: the earliest times)."""
    schema = {"user_id": pl.Int64, "url_name": pl.String, "shown_first": pl.Boolean}
    if totals.height == 0:
        return pl.DataFrame(schema=schema)
    detail = frames.nested_rows(totals, "problem_detail").with_columns(
        blocks.key_expr(pl.col("problem")).alias("url_name")).group_by("user_id", "url_name").agg(
        pl.col("first_show_answer").min(), pl.col("first_right").min())
    shown = pl.col("first_show_answer").is_not_null() & (
        pl.col("first_right").is_null() | (pl.col("first_show_answer") < pl.col("first_right")))
    return detail.select("user_id", "url_name", shown.alias("shown_first")).cast(schema)


def course_item_frame(course: ReportCourse, items: pl.DataFrame, axis: pl.DataFrame, enrolled: int,
                      shown: pl.DataFrame | None = None) -> pl.DataFrame:
    """COURSE_ITEM_COLUMNS for one course from its person_item rows and `shown` (answers_shown of the course's
    learner_totals; None: no events known); problems of the outline nobody has a record of keep a row
    (item_id empty, learners 0)."""
    items = items.sort("user_id", "problem_id", "item_id")  # sums and correlations in one order: same bits every run
    graded = items.filter(pl.col("graded") == 1)
    totals = graded.group_by("user_id").agg(pl.col("item_grade").sum().alias("total"))
    shown = answers_shown(pl.DataFrame()) if shown is None else shown
    scored = (items.with_columns(blocks.key_expr(pl.col("problem_id")).alias("url_name"))
              .join(totals, on="user_id", how="left", maintain_order="left")
              .join(shown, on=["user_id", "url_name"], how="left", maintain_order="left").with_columns(
        (pl.col("total").fill_null(0) - pl.when(pl.col("graded") == 1).then(pl.col("item_grade")).otherwise(0))
        .alias("rest")))
    stats = scored.group_by("problem_id", "item_id", maintain_order=True).agg(
        pl.col("user_id").n_unique().alias("learners"),
        pl.col("item_grade").mean().alias("difficulty"),
        pl.corr(pl.col("item_grade").cast(pl.Float64), pl.col("rest").cast(pl.Float64)).alias("discrimination"),
        pl.col("item_weight").first(),
        pl.col("shown_first").drop_nulls().cast(pl.Float64).mean().alias("share_answer_shown_first"),
        pl.col("url_name").first())
    stats = stats.with_columns(
        pl.when(pl.col("discrimination").is_nan()).then(None).otherwise(pl.col("discrimination")).alias("discrimination"),
        (pl.col("learners") / enrolled if enrolled else pl.lit(None, pl.Float64)).alias("share_attempted"))
    outline = problems.outline_problems(axis, places=())
    unseen = outline.join(stats.select("url_name"), on="url_name", how="anti").select(
        "url_name", pl.lit(None, pl.String).alias("problem_id"), pl.lit(None, pl.String).alias("item_id"),
        pl.lit(0, pl.UInt32).alias("learners"), pl.lit(None, pl.Float64).alias("difficulty"),
        pl.lit(None, pl.Float64).alias("discrimination"), pl.lit(0.0 if enrolled else None, pl.Float64)
        .alias("share_attempted"), pl.lit(None, pl.Float64).alias("item_weight"),
        pl.lit(None, pl.Float64).alias("share_answer_shown_first"))
    both = pl.concat([stats.select(unseen.columns), unseen], how="vertical_relaxed")
    return (both.join(outline, on="url_name", how="left")
            .with_columns(pl.lit(course.course_id).alias("course_id"),
                          pl.col("problem_id").fill_null(pl.col("url_name")))
            .sort(["index", "problem_id", "item_id"], nulls_last=True).select(COURSE_ITEM_COLUMNS))


def reliability_frame(course: ReportCourse, items: pl.DataFrame) -> pl.DataFrame:
    """RELIABILITY_COLUMNS for one course: Cronbach's alpha per assignment type of its graded items."""
    graded = items.filter((pl.col("graded") == 1) & pl.col("gformat").is_not_null())
    if graded.height == 0:
        return pl.DataFrame(schema={c: pl.String for c in RELIABILITY_COLUMNS})
    keyed = graded.with_columns(pl.concat_str("problem_id", "item_id", separator="|").alias("item")).sort(
        "gformat", "item", "user_id")  # sums and variances in one order: the same bits every run
    learners = keyed.group_by("gformat").agg(pl.col("user_id").n_unique().alias("learners"),
                                              pl.col("item").n_unique().alias("items"))
    # An item's variance over all the type's learners (0 for those without it): binary, so p(1 - p).
    per_item = (keyed.group_by("gformat", "item", maintain_order=True).agg(pl.col("item_grade").sum().alias("right"))
                .join(learners, on="gformat").with_columns((pl.col("right") / pl.col("learners")).alias("p"))
                .sort("gformat", "item").group_by("gformat", maintain_order=True)
                .agg((pl.col("p") * (1 - pl.col("p"))).sum().alias("item_variance")))
    totals = (keyed.group_by("gformat", "user_id").agg(pl.col("item_grade").sum().cast(pl.Float64).alias("total"))
              .sort("gformat", "user_id"))
    # The totals' variance over all the type's learners (every one of them has a row here).
    spread = totals.group_by("gformat", maintain_order=True).agg(pl.col("total").var(ddof=0).alias("total_variance"))
    k = pl.col("items").cast(pl.Float64)
    return (learners.join(per_item, on="gformat").join(spread, on="gformat")
            .with_columns(pl.when((pl.col("items") >= 2) & (pl.col("total_variance") > 0))
                          .then(k / (k - 1) * (1 - pl.col("item_variance") / pl.col("total_variance")))
                          .alias("alpha"),
                          pl.lit(course.course_id).alias("course_id"), pl.col("gformat").alias("assignment_type"))
            .sort("assignment_type").select(RELIABILITY_COLUMNS))


def read_person_items(path) -> pl.DataFrame:
    """person_item.csv as its writer typed it (the file course_item and item_reliability read)."""
    frame = pl.read_csv(path, infer_schema_length=0)
    return frame.with_columns(pl.col("user_id", "item_grade", "n_attempts", "graded", "first_item_grade")
                              .cast(pl.Int64, strict=False), pl.col("item_weight").cast(pl.Float64, strict=False))
