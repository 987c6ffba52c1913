"""answer_distribution: which answers learners give to each problem part (edx-analytics-pipeline's
`answer_distribution`: first_response_count / last_response_count per answer value, variants apart)."""

from __future__ import annotations

import polars as pl
from pymongo.database import Database

from edx_assets.edx import blocks
from edx_assets.edx.reports import frames
from edx_assets.edx.reports.courses import ReportCourse
from edx_assets.edx.reports.engagement import block_names

COLUMNS = ["course_id", "problem_id", "problem_name", "part_id", "question_text", "variant", "answer_value",
           "correct", "first_response_count", "last_response_count",
           "answer_value_id"]  # added: the id the event's `answers` gave (a choice id), beside its text
KEYS = ["problem", "part", "variant", "value", "value_id", "correct"]


def _counts(answers: pl.DataFrame, which: str) -> pl.DataFrame:
    """Learners per answer value for their `first` or `last` answer of each problem part."""
    return answers.select("user_id", "problem", "part", *[pl.col(f"{which}_{k}").alias(k) for k in KEYS[2:]]).with_columns(
        pl.when(pl.col("variant") != "").then(pl.col("variant")).alias("variant")).group_by(KEYS).agg(
        pl.col("user_id").n_unique().cast(pl.Int64).alias(f"{which}_response_count"))


def distribution(db: Database, course: ReportCourse, totals: pl.DataFrame) -> pl.DataFrame:
    """Per problem, response part, variant (randomized problems; empty otherwise) and answer value: whether
    the value was graded correct, the learners whose first answer it was and those whose last answer it was
    (over the course's life, from learner_totals' answer_detail: server-side problem_check events), the
    problem's display name (structure, matched on blocks.key whatever the id form) and the question text the
    events' `submission` carried. answer_value is the text the submission gave (the `answers` value for
    older events), answer_value_id the `answers` value beside it (e.g. `choice_0`); a list answer (checkboxes)
    reads `[a|b]`. Parts are the submission's entries; `correct` is empty when no event said it (unknown, not
    false). Part ids are the event's own (the stored key escapes undone). `totals` holds learners only (no
    course team) unless configured."""
    answers = frames.nested_rows(totals, "answer_detail")
    if answers.height == 0:
        return pl.DataFrame(schema={c: pl.Int64 if c.endswith("_count") else pl.Boolean if c == "correct"
                                    else pl.String for c in COLUMNS})
    questions = answers.group_by("problem", "part").agg(pl.col("question").drop_nulls().sort().first())
    names = {key: name for key, (_, name) in block_names(db, course, "problem").items()}
    table = _counts(answers, "first").join(_counts(answers, "last"), on=KEYS, how="full", coalesce=True, nulls_equal=True)
    return table.join(questions, on=["problem", "part"], how="left").with_columns(
        pl.lit(course.course_id).alias("course_id"),
        pl.col("problem").alias("problem_id"),
        blocks.key_expr(pl.col("problem")).replace_strict(names, default=None, return_dtype=pl.String)
        .alias("problem_name"),
        pl.col("part").alias("part_id"), pl.col("question").alias("question_text"),
        pl.col("value").alias("answer_value"), pl.col("value_id").alias("answer_value_id"),
        pl.col("first_response_count").fill_null(0), pl.col("last_response_count").fill_null(0),
    ).sort(["problem_id", "part_id", "variant", "answer_value", "answer_value_id", "correct"],
           nulls_last=False).select(COLUMNS)
