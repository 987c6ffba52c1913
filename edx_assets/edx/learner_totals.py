"""learner_totals: each learner's activity in each course over its whole life up to a week's Sunday, kept
incrementally so the weekly reports cost the same in week 100 as in week 1.

totals(week W) = fold(totals(W - 7 days) + the learner_day rows of the 7 days before W). Without the
previous week's totals (the first week, or a week never materialized) the fold runs once over every
learner_day row before W: the same function, the same result, a cost paid once.

Sums add, first/last events take the min/max, active days add (a learner_day row is one day), distinct
videos and problems are unions, and the per-video and per-problem detail (plays, furthest position, ended,
seconds, duration; checks, right first time, best score, show-answers) merges per video / problem; viewing
segments are kept (in order), time on asset (module_time) adds per module, answers merge per problem part (the first by time, the last by time), and
`active_weeks` lists the weeks (their Sunday-to-Saturday start) with any learner day (retention_by_cohort).
A video's duration is the largest a learner's events reported (a median would not fold week by week). Seconds are kept to the
millisecond (rounded to 3 decimals at each fold) so that a sum does not depend on the order it was added in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
import pyarrow as pa
from pymongo import ASCENDING, IndexModel
from pymongo.database import Database

from edx_assets.edx import learner_day as ld
from edx_assets.edx import partition_store
from edx_assets.edx.reports import frames

COLLECTION = "learner_totals"
KEYS = ["course_id", "user_id"]
SUMS = ["nevents", "ndays_act", "sessions", "nplay_video", "nproblem_check", "nshow_answer", "nforum_threads",
        "nforum_responses", "nforum_comments"]
SECONDS = ["time_on_task_5", "time_on_task_30", "video_seconds_watched"]
INDEXES = [IndexModel([("week", ASCENDING), ("course_id", ASCENDING), ("user_id", ASCENDING)], name="week_course_user")]

_VIDEO = pa.struct([("video", pa.string()), ("plays", pa.int64()), ("furthest", pa.float64()), ("ended", pa.bool_()),
                    ("seconds", pa.float64()), ("duration", pa.float64())])
_VIEWING = pa.struct([("video", pa.string()), ("start", pa.float64()), ("end", pa.float64())])
_TIME = pa.timestamp("ms")
_ANSWER = pa.struct([("problem", pa.string()), ("part", pa.string()), ("question", pa.string()),
                     ("first_time", _TIME), ("first_value", pa.string()), ("first_correct", pa.bool_()),
                     ("first_variant", pa.string()), ("last_time", _TIME), ("last_value", pa.string()),
                     ("last_correct", pa.bool_()), ("last_variant", pa.string()), ("first_value_id", pa.string()),
                     ("last_value_id", pa.string())])
_PROBLEM = pa.struct([("problem", pa.string()), ("checks", pa.int64()), ("first_correct", pa.bool_()),
                      ("best_score", pa.float64()), ("show_answers", pa.int64()), ("first_show_answer", _TIME),
                      ("first_right", _TIME)])
_MODULE = pa.struct([("module", pa.string()), ("nevents", pa.int64()), ("time_5", pa.float64()),
                     ("time_30", pa.float64())])
TOTALS_SCHEMA = {
    "course_id": pa.string(), "user_id": pa.int64(), "username": pa.string(), "first_event": pa.timestamp("ms"),
    **{c: pa.int64() for c in SUMS}, **{c: pa.float64() for c in SECONDS},
    "videos": pa.list_(pa.string()), "problems": pa.list_(pa.string()),
    "video_detail": pa.list_(_VIDEO), "problem_detail": pa.list_(_PROBLEM), "last_event": pa.timestamp("ms"),
    "video_viewings": pa.list_(_VIEWING), "answer_detail": pa.list_(_ANSWER), "active_weeks": pa.list_(pa.string()),
    "module_time": pa.list_(_MODULE),
}
DAY_SCHEMA = {**{name: kind for name, kind in TOTALS_SCHEMA.items() if name not in ("ndays_act", "active_weeks")},
              "day": pa.string()}
COLUMNS = list(TOTALS_SCHEMA)


def week_start(sunday: date) -> date:
    return sunday - timedelta(days=7)


def read_days(db: Database, before: date, since: date | None = None) -> pl.DataFrame:
    """learner_day rows of the days in [since, before), as one-day totals (ndays_act = 1)."""
    days = {"$lt": before.isoformat(), **({"$gte": since.isoformat()} if since else {})}
    rows = frames.read(db, ld.COLLECTION, DAY_SCHEMA, {"day": days})
    return rows.with_columns(pl.lit(1, dtype=pl.Int64).alias("ndays_act"),
                             pl.concat_list(week_of(pl.col("day").str.to_date())).alias("active_weeks")).select(COLUMNS)


def week_of(day: pl.Expr) -> pl.Expr:
    """The week a day falls in, as the ISO date of its Sunday (weeks run Sunday to Saturday, the weekly
    partitions' weeks: partition S holds the days S - 7 .. S - 1)."""
    return (day - pl.duration(days=day.dt.weekday() % 7)).dt.to_string("%Y-%m-%d")


def week_done(db: Database, sunday: date) -> bool:
    """Whether the week ending before `sunday` was computed (its marker is written after its rows)."""
    return partition_store.week_done(db, COLLECTION, sunday.isoformat())


def read_week(db: Database, sunday: date, course_id: str | None = None, columns: list[str] | None = None,
              fields: Mapping[str, list[str]] | None = None) -> pl.DataFrame | None:
    """The stored totals of the week ending before `sunday` (only `columns` besides the keys, when given: a
    report reads what it uses; of a detail column in `fields`, only those fields of each entry), or None when
    that week was never computed."""
    if not week_done(db, sunday):
        return None
    wanted = COLUMNS if columns is None else [*KEYS, *(c for c in columns if c not in KEYS)]
    query = {"week": sunday.isoformat(), **({"course_id": course_id} if course_id else {})}
    schema = {c: _only(TOTALS_SCHEMA[c], (fields or {}).get(c)) for c in wanted}
    return frames.read(db, COLLECTION, schema, query).select(wanted).sort(KEYS)


def _only(kind: pa.DataType, names: list[str] | None) -> pa.DataType:
    """A list-of-structs type narrowed to the struct fields `names` (all of them when None)."""
    if names is None:
        return kind
    entry = kind.value_type
    return pa.list_(pa.struct([entry.field(name) for name in names]))


def fold(parts: pl.DataFrame) -> pl.DataFrame:
    """One row per (course, learner) from rows of the same shape (stored totals and/or learner days)."""
    if parts.height == 0:
        return parts
    videos = _merge_detail(parts, "video_detail", "video", [
        pl.col("plays").sum(), pl.col("furthest").max(), pl.col("ended").any(), pl.col("seconds").sum().round(3),
        pl.col("duration").max()])
    # Answers: sorted once by time (then value, a total order), so the first row of a part is its first
    # answer and the row holding the latest last_time its last one.
    latest = pl.col("last_time").arg_max()
    answers = _merge_detail(parts, "answer_detail", "problem", [
        pl.col("question").drop_nulls().first(),
        *[pl.col(f"first_{c}").first() for c in ("time", "value", "correct", "variant")],
        *[pl.col(f"last_{c}").get(latest) for c in ("time", "value", "correct", "variant")],
        pl.col("first_value_id").first(), pl.col("last_value_id").get(latest),
    ], also=["part"], order=["first_time", "first_value", "last_time", "last_value"])
    viewings = (parts.select(*KEYS, "video_viewings").explode("video_viewings").drop_nulls("video_viewings")
                .unnest("video_viewings").sort([*KEYS, "video", "start", "end"])
                .group_by(KEYS, maintain_order=True).agg(pl.struct("video", "start", "end").alias("video_viewings")))
    problems = _merge_detail(parts, "problem_detail", "problem", [
        pl.col("checks").sum(), pl.col("first_correct").any(), pl.col("best_score").max(),
        pl.col("show_answers").sum(), pl.col("first_show_answer").min(), pl.col("first_right").min()])
    modules = _merge_detail(parts, "module_time", "module", [
        pl.col("nevents").sum(), pl.col("time_5").sum().round(3), pl.col("time_30").sum().round(3)])
    union = {"keep_nulls": False, "empty_as_null": False}
    totals = parts.group_by(KEYS).agg(
        pl.col("username").drop_nulls().max(),
        pl.col("first_event").min(), pl.col("last_event").max(),
        *[pl.col(c).sum() for c in SUMS],
        *[pl.col(c).sum().round(3) for c in SECONDS],
        pl.col("videos").list.explode(**union).unique().sort(),
        pl.col("problems").list.explode(**union).unique().sort(),
        pl.col("active_weeks").list.explode(**union).unique().sort(),
    )
    joined = totals
    for part in (videos, problems, answers, viewings, modules):
        joined = joined.join(part, on=KEYS, how="left")
    nested = ("video_detail", "problem_detail", "answer_detail", "video_viewings", "module_time")
    return (joined.with_columns([pl.col(c).fill_null(pl.lit([], dtype=joined.schema[c])) for c in nested])
            .select(COLUMNS).sort(KEYS))


def _merge_detail(parts: pl.DataFrame, column: str, key: str, aggregations: list[pl.Expr],
                  also: list[str] | None = None, order: list[str] | None = None) -> pl.DataFrame:
    keys = [key, *(also or [])]
    exploded = parts.select(*KEYS, pl.col(column)).explode(column).drop_nulls(column).unnest(column)
    if order:  # the aggregations read the rows in this order within each group
        merged = exploded.sort([*KEYS, *keys, *order], nulls_last=True).group_by(
            [*KEYS, *keys], maintain_order=True).agg(aggregations)
    else:
        merged = exploded.group_by([*KEYS, *keys]).agg(aggregations).sort([*KEYS, *keys])
    fields = [*keys, *[c for c in merged.columns if c not in (*KEYS, *keys)]]
    return merged.group_by(KEYS, maintain_order=True).agg(pl.struct(fields).alias(column))


@dataclass(frozen=True)
class WeekTotals:
    frame: pl.DataFrame
    mode: str  # "incremental" (last week's totals + this week's days) or "full" (every day before)
    days_read: int  # learner_day rows read


def compute(db: Database, sunday: date) -> WeekTotals:
    previous = read_week(db, week_start(sunday))
    if previous is None:
        days = read_days(db, sunday)
        return WeekTotals(fold(days), "full", days.height)
    days = read_days(db, sunday, since=week_start(sunday))
    # Only the learners active this week change: the others' rows carry over as they are.
    active = days.select(KEYS).unique()
    carried = previous.join(active, on=KEYS, how="anti")
    merged = fold(pl.concat([previous.join(active, on=KEYS, how="semi"), days], how="vertical_relaxed"))
    return WeekTotals(pl.concat([carried, merged], how="vertical_relaxed").sort(KEYS), "incremental", days.height)


def write_week(db: Database, sunday: date, totals: pl.DataFrame) -> partition_store.Replaced:
    """Store the week's totals, then mark the week computed (what `read_week` of the next week looks for)."""
    week = sunday.isoformat()
    frame = totals.with_columns(pl.lit(week).alias("week"))
    done = partition_store.replace_partition(db, COLLECTION, "week", week, frame,
                                             lambda r: f"{week}|{r['course_id']}|{r['user_id']}", INDEXES)
    partition_store.mark_week(db, COLLECTION, week, done)
    return done
