"""forum_activity: each learner's forum participation per course, from the forum dump and the events."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
from pymongo.database import Database
from pymongoarrow.api import Schema, aggregate_polars_all

from edx_assets.edx.course_load import FORUM_SUFFIX
from edx_assets.edx.reports.courses import ReportCourse

COLUMNS = ["course_id", "user_id", "username", "threads", "responses", "comments", "votes_cast", "votes_received",
           "endorsed", "first_post", "last_post", "posts_in_events", "is_course_team"]
EVENT_COUNTS = ["nforum_threads", "nforum_responses", "nforum_comments"]  # read of learner_totals
_POSTS = Schema({"type": pa.string(), "author": pa.string(), "created": pa.timestamp("ms"), "reply": pa.bool_(),
                 "endorsed": pa.bool_(), "up": pa.int64(), "voters": pa.list_(pa.string())})


def posts(db: Database, course: ReportCourse) -> pl.DataFrame:
    """The dump's posts: type (CommentThread / Comment), author id, created, reply (a Comment under another
    comment: a comment, else a response), endorsed, up-votes received and the voters (up and down)."""
    pipeline = [{"$project": {
        "_id": 0, "type": "$_type", "author": {"$toString": "$author_id"}, "created": "$created_at",
        "reply": {"$ne": [{"$type": "$parent_id"}, "missing"]}, "endorsed": {"$eq": ["$endorsed", True]},
        "up": {"$convert": {"input": "$votes.up_count", "to": "long", "onError": 0, "onNull": 0}},
        "voters": {"$map": {"input": {"$concatArrays": [{"$ifNull": ["$votes.up", []]}, {"$ifNull": ["$votes.down", []]}]},
                            "in": {"$toString": "$$this"}}},
    }}]
    frame = aggregate_polars_all(db[course.collection(FORUM_SUFFIX)], pipeline, schema=_POSTS)
    return frame if isinstance(frame, pl.DataFrame) else pl.DataFrame(frame)


def activity(course: ReportCourse, dump: pl.DataFrame, totals: pl.DataFrame, learners: pl.DataFrame) -> pl.DataFrame:
    """Per learner with any forum activity (in the dump or the events): threads, responses (comments on a
    thread), comments (on a response), votes cast (posts the learner up- or down-voted), votes received
    (up-votes on the learner's posts), endorsed responses, first and last post (dump, UTC), posts_in_events
    (threads + responses + comments created in the events before the Sunday: learner_totals), is_course_team.
    edx2bigquery's forum_person counts posts from the dump the same way."""
    authored = dump.with_columns(pl.col("author").cast(pl.Int64, strict=False).alias("user_id")).drop_nulls("user_id")
    kind = pl.col("type")
    per_author = authored.group_by("user_id").agg(
        (kind == "CommentThread").sum().cast(pl.Int64).alias("threads"),
        ((kind == "Comment") & ~pl.col("reply")).sum().cast(pl.Int64).alias("responses"),
        ((kind == "Comment") & pl.col("reply")).sum().cast(pl.Int64).alias("comments"),
        pl.col("up").sum().cast(pl.Int64).alias("votes_received"),
        (pl.col("endorsed") & (kind == "Comment") & ~pl.col("reply")).sum().cast(pl.Int64).alias("endorsed"),
        pl.col("created").min().alias("first_post"), pl.col("created").max().alias("last_post"))
    votes = dump.select(pl.col("voters").explode().cast(pl.Int64, strict=False).alias("user_id")).drop_nulls().group_by(
        "user_id").agg(pl.len().cast(pl.Int64).alias("votes_cast"))
    events = totals.select("user_id", (pl.col("nforum_threads") + pl.col("nforum_responses") + pl.col("nforum_comments"))
                           .alias("posts_in_events")).filter(pl.col("posts_in_events") > 0)
    table = per_author.join(votes, on="user_id", how="full", coalesce=True).join(events, on="user_id", how="full",
                                                                                 coalesce=True)
    people = learners.select("user_id", "username", "is_course_team").unique("user_id", keep="first")
    counts = ["threads", "responses", "comments", "votes_cast", "votes_received", "endorsed", "posts_in_events"]
    return table.join(people, on="user_id", how="left").with_columns(
        pl.lit(course.course_id).alias("course_id"), *[pl.col(c).fill_null(0) for c in counts],
        pl.col("is_course_team").fill_null(0),
    ).sort("user_id").select(COLUMNS)
