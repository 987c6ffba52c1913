"""Daily activity per course (activity_daily, from learner_day) and daily enrollment flows (enrollment_daily,
from Eventos)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pyarrow as pa
from pymongo.database import Database
from pymongoarrow.api import Schema, aggregate_polars_all

from edx_assets.edx import eventos_schema as ev
from edx_assets.edx import learner_day as ld
from edx_assets.edx.reports import frames

ACTIVITY_COLUMNS = ["course_id", "day", "active_users", "events", "users_played_video",
                    "users_attempted_problem", "users_posted_forum"]
ENROLLMENT_COLUMNS = ["course_id", "day", "mode", "enrolled", "unenrolled", "net", "cumulative",
                      "changed_in", "changed_out"]  # added: mode changes into / out of the mode
ACTIVATED = ev.ACTIVATED
DEACTIVATED = ev.DEACTIVATED
MODE_CHANGED = ev.MODE_CHANGED
ACTIVITY_READ = {"course_id": pa.string(), "nevents": pa.int64(), "nplay_video": pa.int64(),
                 "nproblem_check": pa.int64(), "nforum_threads": pa.int64(), "nforum_responses": pa.int64(),
                 "nforum_comments": pa.int64()}


def activity_frame(db: Database, day: str) -> pl.DataFrame:
    """Per course, from the day's `learner_day` rows (the events filed under `day` with a course and a
    user id): active learners, events, and learners who played a video, checked a problem (server-side)
    or posted in the forum. Columns: ACTIVITY_COLUMNS, ordered by course."""
    rows = frames.read(db, ld.COLLECTION, ACTIVITY_READ, {"day": day})
    posted = pl.col("nforum_threads") + pl.col("nforum_responses") + pl.col("nforum_comments")
    return rows.group_by("course_id").agg(
        pl.len().alias("active_users"),
        pl.col("nevents").sum().alias("events"),
        (pl.col("nplay_video") > 0).sum().alias("users_played_video"),
        (pl.col("nproblem_check") > 0).sum().alias("users_attempted_problem"),
        (posted > 0).sum().alias("users_posted_forum"),
    ).with_columns(pl.lit(day).alias("day")).sort("course_id").select(ACTIVITY_COLUMNS)


ENROLLMENT_READ = {"course_id": pa.string(), "user_id": pa.int64(), "time": pa.timestamp("ms"), "type": pa.string(),
                   "mode": pa.string(), "line": pa.int64(), "partition": pa.string()}


def enrollment_events(db: Database, events: str, until: datetime) -> pl.DataFrame:
    """Every enrollment activation, deactivation and mode change before `until`, with the learner (the
    payload's user_id, else the event's) and the mode the payload names (`unknown` without one)."""
    def payload(field: str) -> dict:
        return {"$ifNull": [f"${ev.EVENT}.{field}", f"$event.{field}"]}

    pipeline = [
        {"$match": {"$or": [{ev.EVENT_TYPE: {"$in": [ACTIVATED, DEACTIVATED]}, ev.TIME: {"$lt": until}},
                            {ev.EVENT_TYPE: MODE_CHANGED, ev.TIME: {"$lt": until}}],
                    ev.COURSE_ID: {"$ne": None}}},
        {"$project": {"_id": 0, "course_id": ev.ref(ev.COURSE_ID), "time": ev.ref(ev.TIME), "type": ev.ref(ev.EVENT_TYPE),
                      "line": ev.ref(ev.LINE), "partition": ev.ref(ev.PARTITION),
                      "user_id": {"$convert": {"input": {"$ifNull": [payload("user_id"), ev.ref(ev.USER_ID)]},
                                               "to": "long", "onError": None, "onNull": None}},
                      "mode": {"$convert": {"input": payload("mode"), "to": "string", "onError": None,
                                            "onNull": None}}}},
    ]
    frame = aggregate_polars_all(db[events], pipeline, schema=Schema(ENROLLMENT_READ), allowDiskUse=True)
    return frame.with_columns(pl.col("mode").fill_null("unknown"))


def enrollment_daily_frame(events: pl.DataFrame) -> pl.DataFrame:
    """Per course, day (of the event's time) and mode: enrolled, unenrolled, changed_in, changed_out, net and
    cumulative, from each learner's enrollment state as edx-analytics-pipeline's enrollments.py
    (`DaysEnrolledForEvents`) follows it through their events in time order: an activation enrolls, a
    deactivation unenrolls (one while already in that state changes nothing), and the learner's mode is the
    `mode` of their latest event of any kind. So:

    - enrolled: activations that enrolled the learner, in the event's mode;
    - unenrolled: deactivations that unenrolled the learner, in the mode they were enrolled in (a learner who
      enrolled as audit and unenrolled in an event saying honor leaves audit, not honor);
    - changed_in / changed_out: an enrolled learner's mode changing (a mode_changed event, or an activation
      or deactivation naming another mode while enrolled), into the new mode and out of the old;
    - net = enrolled - unenrolled + changed_in - changed_out; cumulative, its running sum per course and mode:
      the learners enrolled in the mode at the end of the day (the pipeline's `count`), over the events loaded.

    One difference, argued: the pipeline reads every tracking log since the course began and starts each
    learner unenrolled, so a deactivation as a learner's first event changes nothing there. A partner's
    delivery can start in the middle of a course, so here a learner whose first loaded event is a
    deactivation was enrolled before (in its mode: counted as unenrolled), and one whose first is a mode
    change moves out of `unknown`; cumulative then counts from the first loaded day, as before.
    """
    if events.height == 0:
        return pl.DataFrame(schema={"course_id": pl.String, "day": pl.String, "mode": pl.String,
                                    **{c: pl.Int64 for c in ENROLLMENT_COLUMNS[3:]}})
    learner = ["course_id", "user_id"]
    state = (pl.when(pl.col("type") == ACTIVATED).then(True).when(pl.col("type") == DEACTIVATED).then(False)
             .otherwise(None).forward_fill().over(learner).fill_null(False))
    steps = events.sort(*learner, "time", "partition", "line", nulls_last=False).with_columns(
        pl.col("time").dt.strftime("%Y-%m-%d").alias("day"), state.alias("after"))
    # Before a learner's first loaded event: a deactivation or mode change says they were enrolled already
    # (before the first delivered day), in the deactivation's mode or an unknown one; otherwise not enrolled.
    first_before = pl.col("type").is_in([DEACTIVATED, MODE_CHANGED])
    first_mode = pl.when(pl.col("type") == DEACTIVATED).then(pl.col("mode")).otherwise(pl.lit("unknown"))
    steps = steps.with_columns(pl.col("after").shift(1).over(learner).fill_null(first_before).alias("before"),
                               pl.col("mode").shift(1).over(learner).fill_null(first_mode).alias("before_mode"))
    moved = pl.col("before") & pl.col("after") & (pl.col("mode") != pl.col("before_mode"))
    flows = pl.concat([
        steps.filter(~pl.col("before") & pl.col("after")).select("course_id", "day", "mode", pl.lit("enrolled").alias("flow")),
        steps.filter(pl.col("before") & ~pl.col("after")).select(
            "course_id", "day", pl.col("before_mode").alias("mode"), pl.lit("unenrolled").alias("flow")),
        steps.filter(moved).select("course_id", "day", "mode", pl.lit("changed_in").alias("flow")),
        steps.filter(moved).select("course_id", "day", pl.col("before_mode").alias("mode"),
                                   pl.lit("changed_out").alias("flow")),
    ])
    table = flows.group_by("course_id", "day", "mode").agg(
        *[(pl.col("flow") == f).sum().cast(pl.Int64).alias(f) for f in ("enrolled", "unenrolled", "changed_in",
                                                                         "changed_out")])
    table = table.sort("course_id", "mode", "day").with_columns(
        (pl.col("enrolled") - pl.col("unenrolled") + pl.col("changed_in") - pl.col("changed_out")).alias("net"))
    return table.with_columns(pl.col("net").cum_sum().over("course_id", "mode").alias("cumulative")).select(
        ENROLLMENT_COLUMNS)
