"""Small-cell suppression of the aggregates that leave the platform (EDX_MIN_CELL, default 5).

A cell describing fewer than k learners is not published: a count of 1 to k-1 learners is emptied, and so
is every figure computed from it (a share, a median, a mean); a row whose whole population is 1 to k-1
learners keeps only its keys. Zero is published (it describes no one). Every row says which of its cells
were emptied in the column `suppressed` (names joined by `;`, empty when none): an emptied cell is marked,
never turned into 0. This is primary suppression at the field's usual threshold (the HarvardX-MITx
de-identified person-course release was made 5-anonymous); a breakdown whose total is published can still
let a reader subtract (see docs/privacy.md).

Learner-level files are not touched here: they follow EDX_REPORTS_PII.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

MARK = "suppressed"
DEFAULT_MIN_CELL = 5


@dataclass(frozen=True)
class Rule:
    """Which columns of an aggregate count learners.

    population: columns counting the learners the row describes (the row's population is the largest);
    counts: columns counting a part of them; derived: figure -> the counts it is computed from; hidden_with_row:
    figures of the row (besides counts and derived) that describe its population, e.g. event counts or a
    free-text answer.
    """

    population: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hidden_with_row: tuple[str, ...] = ()

    def columns(self) -> list[str]:
        return list(dict.fromkeys([*self.population, *self.counts, *self.derived, *self.hidden_with_row]))


def _shares(*counts: str) -> dict[str, tuple[str, ...]]:
    return {f"share_{c}": (c,) for c in counts}


# The aggregate tables that leave the platform and how each counts learners.
RULES: dict[str, Rule] = {
    "course_summary": Rule(population=("registered",), counts=("viewed", "explored", "certified", "verified"),
                           derived={**_shares("viewed", "explored", "certified", "verified"),
                                    "median_ndays_act": ("viewed",), "median_grade_certified": ("certified",)}),
    "geography": Rule(population=("registered",), counts=("viewed", "explored", "certified", "verified")),
    "general_report": Rule(
        population=("total_users",),
        counts=("active_users", "approved_users", "certified_users", "failed_users", "male", "female",
                "other_gender", "unknown_gender", "active_enrollments", "unenrolled", "verified_enrollments",
                "certificates"),
        hidden_with_row=("countries",)),
    "video_engagement": Rule(population=("viewers",), counts=("completers",),
                             derived={"completion_share": ("completers",)},
                             hidden_with_row=("plays", "mean_furthest_position", "share_watched_to_end",
                                              "median_seconds_watched")),
    "video_segments": Rule(population=("viewers",), hidden_with_row=("views",)),
    "problem_analysis": Rule(population=("learners_attempted",),
                             hidden_with_row=("attempts_per_learner", "share_correct_first_attempt", "mean_score",
                                              "showanswer_count")),
    "answer_distribution": Rule(population=("first_response_count", "last_response_count"),
                                counts=("first_response_count", "last_response_count"),
                                hidden_with_row=("answer_value",)),
    "enrollment_by_demographics_daily": Rule(counts=("enrollments", "cumulative_enrollments", "cumulative_active")),
    "retention_by_cohort": Rule(population=("learners",), counts=("active_learners",),
                                derived={"share_active": ("active_learners",)}),
    "activity_daily": Rule(population=("active_users",),
                           counts=("users_played_video", "users_attempted_problem", "users_posted_forum"),
                           hidden_with_row=("events",)),
    "course_item": Rule(population=("learners",), hidden_with_row=("difficulty", "discrimination", "share_attempted",
                                                                              "share_answer_shown_first")),
    "section_engagement": Rule(population=("learners_reached",), counts=("learners_completed",),
                               derived={"share_completed": ("learners_completed",)},
                               hidden_with_row=("time_umid5", "time_umid30", "median_time_umid30")),
    "item_reliability": Rule(population=("learners",), hidden_with_row=("alpha",)),
    "enrollment_daily": Rule(counts=("enrolled", "unenrolled", "cumulative"),
                             derived={"net": ("enrolled", "unenrolled")}),
}
# Suppressed in the file itself (local and S3): the list of aggregates that leave the platform as such.
AT_SOURCE = frozenset({"course_summary", "geography"})


def small(column: str, k: int) -> pl.Expr:
    """Whether the column's value counts 1 to k-1 learners (text or number; empty is not small)."""
    value = pl.col(column).cast(pl.Float64, strict=False)
    return value.is_not_null() & (value > 0) & (value < k)


def suppress(frame: pl.DataFrame, table: str, k: int) -> pl.DataFrame:
    """`frame` (an aggregate of RULES) with its cells of fewer than `k` learners emptied and marked in a
    last column `suppressed`; `k` <= 1 suppresses nothing (the column is still there, empty)."""
    rule = RULES[table]
    present = [c for c in rule.columns() if c in frame.columns]
    if k <= 1 or frame.height == 0:
        return frame.with_columns(pl.lit("").alias(MARK))
    population = [c for c in rule.population if c in frame.columns]
    row_small = pl.lit(False)
    if population:
        largest = pl.max_horizontal([pl.col(c).cast(pl.Float64, strict=False) for c in population])
        row_small = largest.is_not_null() & (largest > 0) & (largest < k)
    hide: dict[str, pl.Expr] = {}
    for column in present:
        hidden = row_small
        if column in rule.counts:
            hidden = hidden | small(column, k)
        for base in rule.derived.get(column, ()):
            if base in frame.columns:
                hidden = hidden | small(base, k)
        hide[column] = hidden
    flags = frame.select(**{f"__{c}": e for c, e in hide.items()})
    marked = frame.with_columns(
        *[pl.when(flags[f"__{c}"]).then(None).otherwise(pl.col(c)).alias(c) for c in hide],
        pl.concat_str([pl.when(flags[f"__{c}"]).then(pl.lit(c)) for c in hide], separator=";",
                      ignore_nulls=True).fill_null("").alias(MARK),
    )
    return marked


def smallest_published(frame: pl.DataFrame, table: str) -> int | None:
    """The smallest non-zero learner count left in a suppressed frame (None when none): for checks."""
    rule = RULES[table]
    values = [frame[c].cast(pl.Float64, strict=False) for c in (*rule.population, *rule.counts) if c in frame.columns]
    nonzero = [v.filter(v > 0) for v in values]
    found = [float(v.min()) for v in nonzero if v.len()]
    return int(min(found)) if found else None


def leaving_copy(path: Path, k: int, aside: Path) -> Path:
    """The file to send out for `path`: itself, unless it is an aggregate of RULES not suppressed at its
    source (CSV or Parquet), then a suppressed copy of the same name written in `aside`."""
    table = path.stem
    if table not in RULES or table in AT_SOURCE or path.suffix not in (".csv", ".parquet"):
        return path
    copy = aside / path.name
    if path.suffix == ".csv":  # every cell read as text and written back as it was, bar the emptied ones
        suppress(pl.read_csv(path, infer_schema_length=0), table, k).write_csv(copy)
    else:
        suppress(pl.read_parquet(path), table, k).write_parquet(copy)
    return copy
