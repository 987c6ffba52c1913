"""ora_activity: each learner's work on each open-response assessment (ORA) of the course.

From the package's `ora/` tables (edx-submissions and edx-ora2, loaded as `<prefix>.ora_<table>`):
- the learner: `submissions_studentitem.student_id` is the course's anonymous id, mapped to the user id by
  `student_anonymoususerid`; one row per (learner, item) of item_type `openassessment`;
- submissions: the learner's `submissions_submission` rows for the item, first and last `submitted_at`;
- score: the latest `submissions_score` row of the item that is not a reset (points_earned, points_possible),
  the score edX's grade uses;
- assessments (`assessment_assessment`, edx-ora2's Assessment: `scorer_id` the assessor's anonymous id,
  `submission_uuid` the essay assessed, `score_type` PE peer, SE self, ST staff): given = those the learner
  scored, received = those of the learner's submissions, by type; a learner who only assessed others (no
  submission) has a row with submissions 0;
- events and time: the learner's events in the item's block and their time on asset there (time_on_asset:
  the `openassessment*` events carry the block's usage key).
A table the package did not carry for the course leaves its columns empty (unknown), never 0. The peers:
edx-platform's ORA data report (`OraAggregateData`) and edx2bigquery have no per-learner table of this;
these are the counts course teams read from that report, per learner.
"""

from __future__ import annotations

import polars as pl
from pymongo.database import Database

from edx_assets.edx import blocks
from edx_assets.edx.reports import frames
from edx_assets.edx.reports.courses import ReportCourse

COLUMNS = ["course_id", "user_id", "item_id", "url_name", "index", "chapter_name", "sequential_name", "problem_name",
           "submissions", "first_submitted", "last_submitted", "points_earned", "points_possible", "peer_given",
           "self_given", "peer_received", "self_received", "staff_received", "events", "time_umid30"]
TYPES = {"PE": "peer", "SE": "self", "ST": "staff"}
NEEDED = ("submissions_studentitem", "submissions_submission", "submissions_score", "assessment_assessment")
GIVEN, RECEIVED = ["peer_given", "self_given"], ["peer_received", "self_received", "staff_received"]
_ITEMS = {"id": frames.INT, "student_id": frames.TEXT, "item_id": frames.TEXT, "item_type": frames.TEXT}
_SUBMISSIONS = {"id": frames.INT, "uuid": frames.TEXT, "submitted_at": frames.TIME, "student_item_id": frames.INT}
_SCORES = {"id": frames.INT, "points_earned": frames.INT, "points_possible": frames.INT, "created_at": frames.TIME,
           "reset": frames.INT, "student_item_id": frames.INT}  # reset: 0/1 (the dump's booleans)
_ASSESSMENTS = {"submission_uuid": frames.TEXT, "scorer_id": frames.TEXT, "score_type": frames.TEXT}
_ANONYMOUS = {"user_id": frames.INT, "anonymous_user_id": frames.TEXT}


def delivered_tables(db: Database, course: ReportCourse) -> set[str]:
    """The `ora/` tables the course's last package carried (the catalog's tables_delivered)."""
    entry = db.courses.find_one({"_id": course.course_id}, {"tables_delivered": 1}) or {}
    return {t.removeprefix("ora/") for t in entry.get("tables_delivered") or () if t.startswith("ora/")}


def ora_activity_frame(db: Database, course: ReportCourse, axis: pl.DataFrame, visits: pl.DataFrame,
                       have: set[str]) -> pl.DataFrame:
    """COLUMNS for one course: `axis` its course_axis rows, `visits` its time_on_asset rows, `have` the ora/
    tables its package carried (delivered_tables)."""
    if "submissions_studentitem" not in have:
        return pl.DataFrame(schema={c: pl.String for c in COLUMNS})

    def table(name: str, schema: dict) -> pl.DataFrame | None:
        return frames.read(db, course.collection(f"ora_{name}"), schema) if name in have else None

    anonymous = frames.read(db, course.collection("anonymous_ids"), _ANONYMOUS).unique("anonymous_user_id")
    items = table("submissions_studentitem", _ITEMS).filter(pl.col("item_type") == "openassessment")
    items = items.join(anonymous, left_on="student_id", right_on="anonymous_user_id", how="left")
    submissions = table("submissions_submission", _SUBMISSIONS)
    scores = table("submissions_score", _SCORES)
    assessments = table("assessment_assessment", _ASSESSMENTS)

    rows = items.select(pl.col("id").alias("student_item_id"), "student_id", "user_id", "item_id")
    if submissions is not None:
        mine = submissions.join(rows.select("student_item_id"), on="student_item_id")
        rows = rows.join(mine.group_by("student_item_id").agg(
            pl.len().alias("submissions"), pl.col("submitted_at").min().alias("first_submitted"),
            pl.col("submitted_at").max().alias("last_submitted")), on="student_item_id", how="left").with_columns(
            pl.col("submissions").fill_null(0))
    else:
        rows = rows.with_columns(pl.lit(None, pl.UInt32).alias("submissions"),
                                 pl.lit(None, pl.Datetime("ms")).alias("first_submitted"),
                                 pl.lit(None, pl.Datetime("ms")).alias("last_submitted"))
    if scores is not None:
        latest = (scores.filter(pl.col("reset").fill_null(0) != 1)
                  .sort(["created_at", "id"]).group_by("student_item_id").agg(
                      pl.col("points_earned").last(), pl.col("points_possible").last()))
        rows = rows.join(latest, on="student_item_id", how="left")
    else:
        rows = rows.with_columns(pl.lit(None, pl.Int64).alias("points_earned"),
                                 pl.lit(None, pl.Int64).alias("points_possible"))
    rows = _assessments(rows, assessments, submissions, anonymous)
    return _placed(course.course_id, rows, axis, visits)


def _assessments(rows: pl.DataFrame, assessments: pl.DataFrame | None, submissions: pl.DataFrame | None,
                 anonymous: pl.DataFrame) -> pl.DataFrame:
    """Assessments given (by the learner's anonymous id) and received (on the learner's submissions), by type;
    learners who only assessed get their own rows (the item of the essays they assessed, submissions 0)."""
    if assessments is None or submissions is None:
        return rows.with_columns([pl.lit(None, pl.UInt32).alias(c) for c in (*GIVEN, *RECEIVED)])
    essays = submissions.join(rows.select("student_item_id", "item_id"), on="student_item_id").select(
        pl.col("uuid").alias("submission_uuid"), "student_item_id", "item_id")
    assessed = assessments.with_columns(pl.col("score_type").replace_strict(TYPES, default="other").alias("kind")
                                        ).join(essays, on="submission_uuid")
    received = (assessed.group_by("student_item_id")
                .agg([(pl.col("kind") == k).sum().alias(f"{k}_received") for k in ("peer", "self", "staff")]))
    given = (assessed.group_by(pl.col("scorer_id").alias("student_id"), "item_id")
             .agg([(pl.col("kind") == k).sum().alias(f"{k}_given") for k in ("peer", "self")]))
    # scorers with no submission of their own; staff scorers are not learners (no user id: left out later)
    assessors = (given.join(rows.select("student_id", "item_id"), on=["student_id", "item_id"], how="anti")
                 .select("student_id", "item_id")
                 .join(anonymous, left_on="student_id", right_on="anonymous_user_id", how="left")
                 .with_columns(pl.lit(0, pl.UInt32).alias("submissions")))
    rows = pl.concat([rows, assessors], how="diagonal_relaxed")
    rows = (rows.join(received, on="student_item_id", how="left")
            .join(given, on=["student_id", "item_id"], how="left")
            .with_columns([pl.col(c).fill_null(0) for c in (*GIVEN, *RECEIVED)]))
    return rows


def _placed(course_id: str, rows: pl.DataFrame, axis: pl.DataFrame, visits: pl.DataFrame) -> pl.DataFrame:
    place = axis.select("url_name", "index", "chapter_name", "sequential_name", pl.col("name").alias("problem_name")) \
        .unique("url_name", keep="first") if axis.height else pl.DataFrame(
        schema={"url_name": pl.String, "index": pl.Int64, "chapter_name": pl.String, "sequential_name": pl.String,
                "problem_name": pl.String})
    seen = visits.select(pl.col("user_id").cast(pl.Int64), "url_name", pl.col("nevents").alias("events"),
                         "time_umid30") if visits.height else pl.DataFrame(
        schema={"user_id": pl.Int64, "url_name": pl.String, "events": pl.Int64, "time_umid30": pl.Float64})
    return (rows.filter(pl.col("user_id").is_not_null())  # an assessor who is not a learner of the course
            .with_columns(blocks.key_expr(pl.col("item_id")).alias("url_name"), pl.lit(course_id).alias("course_id"))
            .join(place.with_columns(pl.col("index").cast(pl.Int64, strict=False)), on="url_name", how="left")
            .join(seen, on=["user_id", "url_name"], how="left")
            .with_columns(pl.col("events").fill_null(0), pl.col("time_umid30").fill_null(0.0))
            .sort(["user_id", "index", "item_id"], nulls_last=True).select(COLUMNS))
