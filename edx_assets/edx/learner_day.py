"""learner_day: one row per course, learner and day, from that day's `Eventos` partition only.

The day is the partition: the day of the file the events came in. Late mobile events (sent by the app
after it was offline) count in the day they arrived, as in `Eventos`; their own times still show in
`first_event`/`last_event`, which can therefore fall on the day before.

Definitions: `DEFINITIONS` below (the one statement of them: the asset's page in the UI shows it).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl
import pyarrow as pa
from pymongo import ASCENDING, IndexModel
from pymongo.database import Database
from pymongoarrow.api import Schema, aggregate_polars_all

from edx_assets.edx import blocks, eventos_reads, partition_store
from edx_assets.edx import eventos_schema as ev

DEFINITIONS = """\
Definitions (edx2bigquery's `time_on_task` / `person_course_day`, make_time_on_task.py):
- events: those with a course and a user id (see "events counted"), ordered by time, then by line (ties).
- sessions: 1 + the number of gaps over 30 minutes between the learner's consecutive events in the course.
- time_on_task_5 / _30: the sum of the gaps between the learner's consecutive events in the course,
  counting a gap only when it is shorter than the cutoff (5 or 30 minutes); a longer gap counts nothing
  (the learner left). The last event of a session therefore adds nothing: nothing follows it. As
  edx2bigquery does, implicit `/xblock/` handler calls (AJAX echoes of what the page already logged)
  are left out of time on task, not out of the counts.
- video/problem/forum/other time: the same sum over the chain of the learner's events of that kind only
  (edx2bigquery's process_course_time_on_task: video `*_video`, `*_transcript`; problem `problem_*`; forum
  `edx.forum.*` or a `/discussion/forum`, `/discussion/threads` or `/discussion/comments` URL; its text time
  (textbook, wiki) is part of other here, and the newer `edx.video.*` / `edx.problem.*` names count too,
  which edx2bigquery predates). Gaps between events of different kinds count in the total only, so the parts
  do not add up to the total.
- events counted: those a learner caused in a course: enrollment events (`edx.course.enrollment.*`, logged by
  the server, usually as `anonymous`) and `task` events are not activity (edx-analytics-pipeline,
  user_activity.py, `get_predicate_labels`; edx2bigquery keys person_course_day by the event's username, so
  an `anonymous` enrollment event never counts for the learner there either).
- video ids: every form (`block-v1:`, `i4x://`, `i4x-…-video-…`, bare) reduced to the block's name
  (`blocks.key`), so one video is one video whatever the player sent.
- video viewings (edx-analytics-pipeline, video.py, `UserVideoViewingTask`): per learner and video, a play
  opens a viewing, the next pause/stop closes it at its `currentTime`, a seek at its `old_time`, and the play
  after such a seek starts at the seek's `new_time`; a second play discards an open viewing; kept from
  0.25 s and when it ends within the reported duration + 1 s (`_segments`). Seconds watched: each viewing's
  advance, capped at twice the wall-clock time between its two events (the player's top speed; the
  pipeline has no seconds figure). A play that nothing closes (a mobile play, a closed tab) counts its play,
  not seconds.
- per video (video_detail): plays, the furthest position any of its events reported, whether it ended,
  the seconds watched (the segments above) and the duration its events reported (their median); the
  viewings themselves (video_viewings: from, to positions of each counted segment) are what the video
  timeline (video_segments) counts.
- answers (answer_detail): per problem and response part, the learner's first and last answer of the day
  (value, correct, variant, time) from server-side problem_check events, with the question text the
  event's `submission` carries (edx-analytics-pipeline's answer distribution inputs).
- time on asset (module_time; edx2bigquery's and simeon's `time_on_asset_daily`, make_time_on_asset.py): per
  module, the sum of the gaps between the learner's consecutive events *in that module*, counted when under 5
  (time_5) or 30 minutes (time_30), as time on task is; every event counts here (an implicit `/xblock/` call
  is often the only event naming an HTML unit). The module an event happened in (`module`): the first of
  `context.module.usage_key`, the payload's `problem_id` (problem and show-answer events), the `id` of a video or
  navigation event, the block of an `/xblock/<id>/handler` URL (event type or context path), and the
  deepest of chapter/sequential in a `/courseware/<chapter>/<sequential>` page or path; as the block's
  name (`blocks.key`). Differs from the peers: a day's chain ends at the day's end (learner_day's unit) where
  theirs runs on across midnight; and the usage key comes first (simeon's lookup of it never finds it, and
  edx2bigquery does not read it), so a module visited only on the mobile app counts.
- agent classes: mobile app (`event_source` mobile or an `edX/` agent), mobile browser (a browser agent
  naming Mobi, Android, iPhone or iPad), desktop (any other agent), unknown (no agent).
"""

COLLECTION = "learner_day"
SESSION_GAP_MS = 30 * 60 * 1000
CUTOFFS_MS = {"5": 5 * 60 * 1000, "30": 30 * 60 * 1000}
MIN_SEGMENT_S = 0.25  # video.py's VIDEO_VIEWING_MINIMUM_LENGTH
MAX_POSITION_S = 10 * 3600.0  # video.py's VIDEO_MAXIMUM_DURATION: a position beyond it is not one
TOP_SPEED = 2.0

PLAYS = ["play_video", "edx.video.played"]
PAUSES = ["pause_video", "edx.video.paused"]
STOPS = ["stop_video", "edx.video.stopped"]
SEEKS = ["seek_video", "edx.video.position.changed"]
COMPLETES = ["complete_video", "edx.video.completed"]
ENDS = STOPS + COMPLETES  # the viewer reached the end (video_engagement's share_watched_to_end)
VIDEO_EVENTS = PLAYS + PAUSES + STOPS + SEEKS + COMPLETES + ["load_video", "edx.video.loaded"]
SHOW_ANSWER = ["showanswer", "edx.problem.showanswer"]
THREADS, RESPONSES, COMMENTS = ("edx.forum.thread.created", "edx.forum.response.created",
                                "edx.forum.comment.created")
NAVIGATION = ["seq_goto", "seq_next", "seq_prev", "edx.ui.lms.sequence.next_selected",
              "edx.ui.lms.sequence.previous_selected", "edx.ui.lms.sequence.tab_selected",
              "edx.ui.lms.outline.selected"]
AGENT_CLASSES = [*ev.AGENT_CLASSES, "agent_unknown"]
# Events the learner did not cause (edx-analytics-pipeline, user_activity.py, `get_predicate_labels`):
# enrollment events (logged by the server, often as `anonymous`, the learner only in the payload) and
# background `task` events are not activity.
NOT_ACTIVITY_TYPES = re.compile(r"^edx\.course\.enrollment\.")
NOT_ACTIVITY_SOURCES = ["task"]
READ_CURSORS = 2
KIND_PATTERNS = {  # edx2bigquery's regular expressions (searched anywhere in the type), plus newer names
    "video": r"\w+_video|\w+_transcript|^edx\.video\.",
    "problem": r"problem_\w+|^edx\.problem\.",
    "forum": r"^edx\.forum\.|/discussion/forum|/discussion/threads|/discussion/comments",
}

# The columns of a learner_day document, in order: (name, type, definition).
COLUMNS: list[tuple[str, str, str]] = [
    ("day", "date", "the partition day: the day of the file the events came in"),
    ("course_id", "string", "course-v1 id"),
    ("user_id", "integer", "the learner's user id"),
    ("username", "string", "the username the events carry"),
    ("nevents", "integer", "events of the learner in the course that day"),
    ("first_event", "datetime", "time of the first of those events (UTC)"),
    ("last_event", "datetime", "time of the last of those events (UTC)"),
    ("sessions", "integer", "1 + gaps over 30 minutes between consecutive events"),
    ("time_on_task_5", "float", "seconds: sum of gaps under 5 minutes between consecutive events (edx2bigquery)"),
    ("time_on_task_30", "float", "seconds: sum of gaps under 30 minutes between consecutive events (edx2bigquery)"),
    ("video_time_5", "float", "seconds: the same over the video events' own chain, 5-minute cutoff"),
    ("video_time_30", "float", "seconds: the same over the video events' own chain, 30-minute cutoff"),
    ("problem_time_5", "float", "seconds: over the problem events' chain, 5-minute cutoff"),
    ("problem_time_30", "float", "seconds: over the problem events' chain, 30-minute cutoff"),
    ("forum_time_5", "float", "seconds: over the forum events' chain, 5-minute cutoff"),
    ("forum_time_30", "float", "seconds: over the forum events' chain, 30-minute cutoff"),
    ("other_time_5", "float", "seconds: over the chain of all other events, 5-minute cutoff"),
    ("other_time_30", "float", "seconds: over the chain of all other events, 30-minute cutoff"),
    ("nplay_video", "integer", "video plays (play_video, edx.video.played)"),
    ("npause_video", "integer", "video pauses"),
    ("nseek_video", "integer", "video seeks"),
    ("nvideos", "integer", "distinct videos with any video event"),
    ("videos", "list", "those videos' short ids (what video events call them), sorted"),
    ("video_seconds_watched", "float", "seconds of video played: play-to-pause/stop/seek segments, capped"),
    ("video_detail", "list", "per video: plays, furthest position (seconds), whether it ended (stop/complete), "
                             "seconds watched and the duration its events reported (median)"),
    ("video_viewings", "list", "per counted viewing segment: video, from and to position (seconds)"),
    ("nproblem_check", "integer", "server-side problem checks (one per submission)"),
    ("nproblems", "integer", "distinct problems checked"),
    ("problems", "list", "those problems' usage keys, sorted"),
    ("module_time", "list", "per module the events happened in (its block name): events, and seconds of time "
                            "on asset under 5 and 30 minutes (edx2bigquery's time_on_asset_daily)"),
    ("problem_detail", "list", "per problem: checks, right on attempt 1, best score (grade / max grade), "
                               "show-answers, first show-answer and first right check (times)"),
    ("answer_detail", "list", "per problem and response part: first and last answer of the day (value, "
                              "correct, variant, time) and the question text"),
    ("nshow_answer", "integer", "show-answer events"),
    ("nforum_threads", "integer", "forum threads created"),
    ("nforum_responses", "integer", "forum responses created"),
    ("nforum_comments", "integer", "forum comments created"),
    ("nnavigation", "integer", "courseware navigation events (sequence and outline)"),
    ("modal_ip", "string", "the day's most frequent IP (ties: seen first, then the smaller)"),
    ("events_mobile_app", "integer", "events from the edX mobile app"),
    ("events_mobile_browser", "integer", "events from a browser on a phone or tablet"),
    ("events_desktop", "integer", "events from any other browser or client"),
    ("events_agent_unknown", "integer", "events with no user agent"),
]
NAMES = [name for name, _, _ in COLUMNS]
INDEXES = [
    IndexModel([("day", ASCENDING), ("version", ASCENDING)], name="day_version"),
    # The reports' reads: one course's recent days (active users' 7/30-day counts).
    IndexModel([("course_id", ASCENDING), ("day", ASCENDING)], name="course_day"),
]

# What is read of each event: flat scalars computed by the server (`event` may be an object, or a
# string the loader decoded into `_edx.event`).
READ_SCHEMA = Schema({
    "line": pa.int64(), "course_id": pa.string(), "user_id": pa.int64(), "username": pa.string(),
    "time": pa.timestamp("ms"), "type": pa.string(), "source": pa.string(), "ip": pa.string(),
    "agent": pa.string(), "video": pa.string(), "position": pa.float64(), "old_time": pa.float64(),
    "new_time": pa.float64(), "problem": pa.string(), "attempts": pa.int64(), "success": pa.string(),
    "score": pa.float64(), "duration": pa.float64(), "module": pa.string(),
    "answers": pa.list_(pa.struct([("part", pa.string()), ("value", pa.string()), ("value_id", pa.string()),
                                   ("correct", pa.bool_()), ("variant", pa.string()), ("question", pa.string())])),
})


def _answers(checked: dict) -> dict:
    """A server problem_check's answers, one item per response part (edx-analytics-pipeline,
    answer_dist.py): the parts are the `submission`'s entries when the event carries one (inputs with no
    submission entry are not response parts), else the `answers`' entries (older events). Per part: value,
    the submission's `answer` (the text learners saw) else the `answers` value; value_id, the `answers` value
    (a choice id such as `choice_0`); a list as `[a|b]`; correct, the submission's `correct`, else
    `correct_map`'s correctness, else unknown (null, never false); variant and question text from the
    submission. Part ids are given back as the event wrote them (the stored key escapes undone)."""
    def entries(field: str) -> dict:
        # Anything but an object (a malformed or truncated payload) reads as no parts, never a failed day.
        value = _payload(field)
        return {"$objectToArray": {"$cond": [{"$eq": [{"$type": value}, "object"]}, value, {}]}}

    def of_part(array: str, value: str) -> dict:
        return {"$first": {"$map": {"input": {"$filter": {"input": array, "as": "e", "cond": {"$eq": ["$$e.k", "$$a.k"]}}},
                                    "as": "e", "in": value}}}

    def as_text(value: object) -> dict:
        item = {"$convert": {"input": "$$this", "to": "string", "onError": "", "onNull": ""}}
        return {"$let": {"vars": {"x": value}, "in": {"$cond": [
            {"$isArray": "$$x"},
            {"$concat": ["[", {"$ifNull": [{"$reduce": {"input": "$$x", "initialValue": None, "in": {
                "$cond": [{"$eq": ["$$value", None]}, item, {"$concat": ["$$value", "|", item]}]}}}, ""]}, "]"]},
            {"$convert": {"input": "$$x", "to": "string", "onError": None, "onNull": None}}]}}}

    def text_of(field: str) -> dict:
        return {"$convert": {"input": f"$$s.{field}", "to": "string", "onError": None, "onNull": None}}

    part = {"$let": {"vars": {"s": of_part("$$sub", "$$e.v"), "raw": of_part("$$ans", "$$e.v"),
                              "cm": of_part("$$cm", "$$e.v.correctness")}, "in": {
        "part": unescaped_key("$$a.k"),
        "value": {"$cond": [{"$ne": [{"$ifNull": ["$$s.answer", None]}, None]}, as_text("$$s.answer"), as_text("$$raw")]},
        "value_id": as_text("$$raw"),
        "correct": {"$cond": [{"$eq": [{"$type": "$$s.correct"}, "bool"]}, "$$s.correct",
                              {"$cond": [{"$eq": [{"$type": "$$cm"}, "missing"]}, None, {"$eq": ["$$cm", "correct"]}]}]},
        "variant": text_of("variant"), "question": text_of("question")}}}
    parts = {"$cond": [{"$gt": [{"$size": "$$sub"}, 0]}, "$$sub", "$$ans"]}
    return {"$cond": [checked, {"$let": {
        "vars": {"cm": entries("correct_map"), "sub": entries("submission"), "ans": entries("answers")},
        "in": {"$map": {"input": parts, "as": "a", "in": part}}}}, None]}


def unescaped_key(key: str) -> dict:
    """tracking_log.unescape_key as an aggregation expression: a stored key back to the event's own."""
    plain = {"$replaceAll": {"input": {"$replaceAll": {"input": key, "find": "\uff0e", "replacement": "."}},
                             "find": "\u2400", "replacement": "\x00"}}
    return {"$cond": [{"$eq": [{"$substrCP": [key, 0, 1]}, "\uff04"]},
                      {"$concat": [{"$literal": "$"}, {"$substrCP": [plain, 1, {"$strLenCP": plain}]}]}, plain]}


def _payload(field: str) -> dict:
    return {"$ifNull": [f"${ev.EVENT}.{field}", f"$event.{field}"]}


def _number(field: str) -> dict:
    return {"$convert": {"input": _payload(field), "to": "double", "onError": None, "onNull": None}}


def _text(value: object) -> dict:
    return {"$convert": {"input": value, "to": "string", "onError": None, "onNull": None}}


def _found(pattern: str, value: object, group: int = 0) -> dict:
    """The `group`th capture of `pattern` in `value` as text, or null (no match, no text)."""
    found = {"$regexFind": {"input": {"$ifNull": [_text(value), ""]}, "regex": pattern}}
    return {"$arrayElemAt": [{"$ifNull": [{"$let": {"vars": {"f": found}, "in": "$$f.captures"}}, []]}, group]}


def _module(event_type: object) -> dict:
    """The module the event happened in (see DEFINITIONS, time on asset), as the event names it."""
    courseware = r"/courseware/([^/?#]+)(?:/([^/?#]+))?"
    payload_id = _text(_payload("id"))
    return {"$ifNull": [
        _text("$context.module.usage_key"),
        _text(_payload("problem_id")),
        {"$cond": [{"$in": [event_type, [*VIDEO_EVENTS, *NAVIGATION]]}, payload_id, None]},
        _found(r"/xblock/([^/]+)/handler", event_type),
        _found(r"/xblock/([^/]+)/handler", "$context.path"),
        _found(courseware, "$page", 1), _found(courseware, "$page"),
        _found(courseware, "$context.path", 1), _found(courseware, "$context.path"),
    ]}


def activity_match(day: str) -> dict:
    """The day's events a learner caused in a course (what learner_day counts; its check counts the same)."""
    return {ev.PARTITION: day, ev.COURSE_ID: {"$ne": None}, ev.USER_ID: {"$ne": None},
            ev.EVENT_TYPE: {"$not": NOT_ACTIVITY_TYPES}, "event_source": {"$nin": NOT_ACTIVITY_SOURCES}}


def read_pipeline(day: str) -> list[dict]:
    # The video's id as the event gives it (browsers a short or i4x- id, mobile apps the usage key):
    # _compact reduces every form to blocks.key.
    video = {"$toString": _payload("id")}
    checked = {"$and": [{"$eq": [ev.ref(ev.EVENT_TYPE), "problem_check"]}, {"$eq": ["$event_source", "server"]}]}
    return [
        {"$match": activity_match(day)},
        {"$project": {
            "_id": 0, "line": ev.ref(ev.LINE), "course_id": ev.ref(ev.COURSE_ID), "user_id": ev.ref(ev.USER_ID),
            "username": 1, "time": ev.ref(ev.TIME), "type": ev.ref(ev.EVENT_TYPE), "source": "$event_source",
            "ip": 1, "agent": 1,
            "video": {"$cond": [{"$in": [ev.ref(ev.EVENT_TYPE), VIDEO_EVENTS]}, video, None]},
            "position": {"$cond": [{"$in": [ev.ref(ev.EVENT_TYPE), VIDEO_EVENTS]}, _number("currentTime"), None]},
            "old_time": {"$cond": [{"$in": [ev.ref(ev.EVENT_TYPE), SEEKS]}, _number("old_time"), None]},
            "new_time": {"$cond": [{"$in": [ev.ref(ev.EVENT_TYPE), SEEKS]}, _number("new_time"), None]},
            "problem": {"$cond": [{"$in": [ev.ref(ev.EVENT_TYPE), ["problem_check", *SHOW_ANSWER]]},
                                  {"$toString": _payload("problem_id")}, None]},
            "attempts": {"$cond": [checked, {"$convert": {"input": _payload("attempts"), "to": "long",
                                                          "onError": None, "onNull": None}}, None]},
            "success": {"$cond": [checked, {"$toString": _payload("success")}, None]},
            "score": {"$cond": [{"$and": [checked, {"$gt": [_number("max_grade"), 0]}]},
                                {"$divide": [_number("grade"), _number("max_grade")]}, None]},
            "duration": {"$cond": [{"$in": [ev.ref(ev.EVENT_TYPE), VIDEO_EVENTS]}, _number("duration"), None]},
            "answers": _answers(checked),
            "module": _module(ev.ref(ev.EVENT_TYPE)),
        }},
    ]


def read_day(db: Database, events: str, day: str, cursors: int = READ_CURSORS) -> pl.DataFrame:
    """The day's events with a course and a user, as a polars frame (server-side projection). The day is
    read in quarters (disjoint `_id` ranges), `cursors` at once, so the server's work and the decoding
    overlap; each quarter is made compact as it arrives (the agent becomes its class, repeated texts
    categorical), which bounds memory to about the frame itself."""
    loads = db[events].distinct(ev.LOAD, {ev.PARTITION: day})
    ranges = [r for load in sorted(loads) for r in eventos_reads.id_ranges(day, load, parts=4)]

    def part(where: dict) -> pl.DataFrame:
        raw = aggregate_polars_all(db[events], [{"$match": where}, *read_pipeline(day)], schema=READ_SCHEMA,
                                   allowDiskUse=True)
        return _compact(raw)

    if not ranges:
        return _compact(pl.DataFrame(schema=READ_SCHEMA.to_arrow()))
    with ThreadPoolExecutor(max_workers=cursors) as pool:
        parts = list(pool.map(part, ranges))
    return pl.concat(parts, how="vertical")


def _compact(raw: pl.DataFrame) -> pl.DataFrame:
    agent = pl.col("agent").fill_null("")
    # (under EDX_STORE_PII=minimize the stored agent is already its class: `mobile_app`, `mobile_browser`, `desktop`)
    mobile_app = (pl.col("source") == "mobile") | agent.str.starts_with(ev.MOBILE_APP_AGENT) | (agent == "mobile_app")
    mobile_browser = agent.str.contains(ev.MOBILE_BROWSER_AGENT) | (agent == "mobile_browser")
    agent_class = (pl.when(mobile_app).then(pl.lit(AGENT_CLASSES.index("mobile_app")))
                   .when(mobile_browser).then(pl.lit(AGENT_CLASSES.index("mobile_browser")))
                   .when(agent != "").then(pl.lit(AGENT_CLASSES.index("desktop")))
                   .otherwise(pl.lit(AGENT_CLASSES.index("agent_unknown"))).cast(pl.UInt8))
    kind = pl.lit("other")
    for name, pattern in reversed(KIND_PATTERNS.items()):
        kind = pl.when(pl.col("type").str.contains(pattern)).then(pl.lit(name)).otherwise(kind)
    texts = ["course_id", "username", "type", "source", "ip", "video", "problem", "success", "kind", "module"]
    return raw.with_columns(
        agent_class.alias("agent_class"), pl.col("time").dt.replace_time_zone("UTC"), kind.alias("kind"),
        blocks.key_expr(pl.col("video")).alias("video"), blocks.key_expr(pl.col("module")).alias("module"),
        pl.col("type").str.contains("/xblock/", literal=True).alias("xblock"),
    ).with_columns([pl.col(c).cast(pl.Categorical) for c in texts]).drop("agent")


def _chain_time(frame: pl.DataFrame, keys: list[str], prefix: str) -> pl.DataFrame:
    """Per key: the sum of gaps (ms) under each cutoff between consecutive events of `frame`."""
    gap = (pl.col("ms") - pl.col("ms").shift(1)).over(keys)
    with_gap = frame.with_columns(gap.alias("gap"))
    return with_gap.group_by(keys).agg(
        [pl.col("gap").filter(pl.col("gap") < ms).sum().alias(f"{prefix}_{name}") for name, ms in CUTOFFS_MS.items()])


def compute(events: pl.DataFrame, day: str) -> pl.DataFrame:
    """learner_day rows (columns NAMES) from one day's events (READ_SCHEMA), sorted by course and user."""
    keys = ["course_id", "user_id"]
    if events.height == 0:
        return pl.DataFrame(schema=column_types())
    frame = events.with_columns(pl.col("time").dt.epoch("ms").alias("ms")).sort([*keys, "ms", "line"])

    gap_all = (pl.col("ms") - pl.col("ms").shift(1)).over(keys)
    counts = frame.with_columns(gap_all.alias("gap")).group_by(keys).agg(
        pl.col("username").cast(pl.String).filter(pl.col("username").cast(pl.String) != "").max().alias("username"),
        pl.len().alias("nevents"),
        pl.col("time").min().alias("first_event"),
        pl.col("time").max().alias("last_event"),
        (pl.col("gap") > SESSION_GAP_MS).sum().add(1).alias("sessions"),
        pl.col("type").is_in(PLAYS).sum().alias("nplay_video"),
        pl.col("type").is_in(PAUSES).sum().alias("npause_video"),
        pl.col("type").is_in(SEEKS).sum().alias("nseek_video"),
        pl.col("video").drop_nulls().cast(pl.String).unique().sort().alias("videos"),
        ((pl.col("type") == "problem_check") & (pl.col("source") == "server")).sum().alias("nproblem_check"),
        pl.col("problem").filter((pl.col("type") == "problem_check") & (pl.col("source") == "server"))
        .drop_nulls().cast(pl.String).unique().sort().alias("problems"),
        pl.col("type").is_in(SHOW_ANSWER).sum().alias("nshow_answer"),
        (pl.col("type") == THREADS).sum().alias("nforum_threads"),
        (pl.col("type") == RESPONSES).sum().alias("nforum_responses"),
        (pl.col("type") == COMMENTS).sum().alias("nforum_comments"),
        pl.col("type").is_in(NAVIGATION).sum().alias("nnavigation"),
        *[(pl.col("agent_class") == i).sum().alias(f"events_{name}") for i, name in enumerate(AGENT_CLASSES)],
    )
    timed = frame.filter(~pl.col("xblock"))
    parts = [_chain_time(timed, keys, "time_on_task")]
    for name in (*KIND_PATTERNS, "other"):
        parts.append(_chain_time(timed.filter(pl.col("kind") == name), keys, f"{name}_time"))
    rows = counts
    segments = _segments(frame, keys)
    for part in [*parts, _watched(segments, keys), _modal_ip(frame, keys), _video_detail(frame, segments, keys),
                 _viewings(segments, keys), _problem_detail(frame, keys), _answer_detail(frame, keys),
                 _module_time(frame, keys)]:
        rows = rows.join(part, on=keys, how="left")
    seconds = [c for c in NAMES if "_time_" in c or c.startswith("time_on_task")]
    return rows.with_columns(
        pl.lit(day).alias("day"),
        *[(pl.col(c).fill_null(0) / 1000).alias(c) for c in seconds],
        pl.col("video_seconds_watched").fill_null(0.0).round(3),
        pl.col("videos").list.len().alias("nvideos"),
        pl.col("problems").list.len().alias("nproblems"),
        pl.col("video_detail").fill_null(pl.lit([], dtype=VIDEO_DETAIL)),
        pl.col("problem_detail").fill_null(pl.lit([], dtype=PROBLEM_DETAIL)),
        pl.col("video_viewings").fill_null(pl.lit([], dtype=VIDEO_VIEWINGS)),
        pl.col("answer_detail").fill_null(pl.lit([], dtype=ANSWER_DETAIL)),
        pl.col("module_time").fill_null(pl.lit([], dtype=MODULE_TIME)),
    ).select(NAMES).cast(column_types()).sort(keys)  # categorical texts back to strings, then sorted


VIDEO_DETAIL = pl.List(pl.Struct({"video": pl.String, "plays": pl.Int64, "furthest": pl.Float64, "ended": pl.Boolean,
                                  "seconds": pl.Float64, "duration": pl.Float64}))
VIDEO_VIEWINGS = pl.List(pl.Struct({"video": pl.String, "start": pl.Float64, "end": pl.Float64}))
ANSWER_DETAIL = pl.List(pl.Struct({
    "problem": pl.String, "part": pl.String, "question": pl.String,
    "first_time": pl.Datetime("ms", "UTC"), "first_value": pl.String, "first_correct": pl.Boolean,
    "first_variant": pl.String, "last_time": pl.Datetime("ms", "UTC"), "last_value": pl.String,
    "last_correct": pl.Boolean, "last_variant": pl.String, "first_value_id": pl.String, "last_value_id": pl.String}))
MODULE_TIME = pl.List(pl.Struct({"module": pl.String, "nevents": pl.Int64, "time_5": pl.Float64,
                                 "time_30": pl.Float64}))
PROBLEM_DETAIL = pl.List(pl.Struct({"problem": pl.String, "checks": pl.Int64, "first_correct": pl.Boolean,
                                    "best_score": pl.Float64, "show_answers": pl.Int64,
                                    "first_show_answer": pl.Datetime("ms", "UTC"),
                                    "first_right": pl.Datetime("ms", "UTC")}))


def _module_time(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per learner and module: events, and the time-on-task chain over the learner's events in that module
    (time on asset, seconds to the millisecond)."""
    modules = frame.filter(pl.col("module").is_not_null()).with_columns(pl.col("module").cast(pl.String))
    per = [*keys, "module"]
    timed = _chain_time(modules, per, "time").join(modules.group_by(per).agg(pl.len().cast(pl.Int64).alias("nevents")),
                                                   on=per)
    return timed.sort(per).group_by(keys, maintain_order=True).agg(pl.struct(
        "module", "nevents", *[(pl.col(f"time_{c}").fill_null(0) / 1000).alias(f"time_{c}") for c in CUTOFFS_MS]
    ).alias("module_time"))


def _video_detail(frame: pl.DataFrame, segments: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per learner and video: plays, the furthest position any video event reported, whether a stop or
    complete event came, the seconds watched and the reported duration (what video_engagement rolls up)."""
    watched = segments.group_by([*keys, "video"]).agg(pl.col("seconds").sum().round(3))
    per_video = frame.filter(pl.col("video").is_not_null()).with_columns(pl.col("video").cast(pl.String)).group_by(
        [*keys, "video"]).agg(
        pl.col("type").is_in(PLAYS).sum().cast(pl.Int64).alias("plays"),
        pl.coalesce("position", "new_time").max().alias("furthest"),
        pl.col("type").is_in(ENDS).any().alias("ended"),
        pl.col("duration").filter(pl.col("duration") > 0).median().alias("duration"),
    ).join(watched, on=[*keys, "video"], how="left").with_columns(pl.col("seconds").fill_null(0.0)).sort([*keys, "video"])
    return per_video.group_by(keys, maintain_order=True).agg(
        pl.struct("video", "plays", "furthest", "ended", "seconds", "duration").alias("video_detail"))


def _viewings(segments: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per learner: each counted segment as (video, start, end) positions, in order of time."""
    return segments.sort([*keys, "ms", "line"]).group_by(keys, maintain_order=True).agg(
        pl.struct("video", "start", "end").alias("video_viewings"))


def _answer_detail(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per learner, problem and part: the day's first and last answer (server-side checks, in time order)."""
    answers = frame.filter(pl.col("answers").list.len() > 0).select(
        *keys, pl.col("problem").cast(pl.String), "time", "ms", "line", "answers").explode("answers").unnest("answers")
    if answers.height == 0:
        return pl.DataFrame(schema={**{k: frame.schema[k] for k in keys}, "answer_detail": ANSWER_DETAIL})
    per_part = answers.sort([*keys, "ms", "line"]).group_by([*keys, "problem", "part"], maintain_order=True).agg(
        pl.col("question").drop_nulls().first(),
        pl.col("time").first().alias("first_time"), pl.col("value").first().alias("first_value"),
        pl.col("correct").first().alias("first_correct"), pl.col("variant").first().alias("first_variant"),
        pl.col("time").last().alias("last_time"), pl.col("value").last().alias("last_value"),
        pl.col("correct").last().alias("last_correct"), pl.col("variant").last().alias("last_variant"),
        pl.col("value_id").first().alias("first_value_id"), pl.col("value_id").last().alias("last_value_id"),
    ).sort([*keys, "problem", "part"])
    fields = [name for name in ANSWER_DETAIL.inner.to_schema()]
    return per_part.group_by(keys, maintain_order=True).agg(pl.struct(fields).alias("answer_detail"))


def _problem_detail(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per learner and problem: server-side checks, right on the first attempt, best score, show-answers
    (what problem_analysis rolls up), and the times of the first show-answer and the first right check
    (course_item's share of learners shown the answer before they got it right)."""
    checks = (pl.col("type") == "problem_check") & (pl.col("source") == "server")
    per_problem = frame.filter(pl.col("problem").is_not_null() & (checks | pl.col("type").is_in(SHOW_ANSWER))).with_columns(
        pl.col("problem").cast(pl.String)).group_by([*keys, "problem"]).agg(
        checks.sum().cast(pl.Int64).alias("checks"),
        (checks & (pl.col("attempts") == 1) & (pl.col("success") == "correct")).any().alias("first_correct"),
        pl.col("score").filter(checks).max().alias("best_score"),
        pl.col("type").is_in(SHOW_ANSWER).sum().cast(pl.Int64).alias("show_answers"),
        pl.col("time").filter(pl.col("type").is_in(SHOW_ANSWER)).min().alias("first_show_answer"),
        pl.col("time").filter(checks & (pl.col("success") == "correct")).min().alias("first_right"),
    ).sort([*keys, "problem"])
    return per_problem.group_by(keys, maintain_order=True).agg(
        pl.struct("problem", "checks", "first_correct", "best_score", "show_answers", "first_show_answer",
                  "first_right").alias("problem_detail"))


def _segments(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The counted viewings (edx-analytics-pipeline, video.py, `UserVideoViewingTask.reducer`), per learner
    and video, from that video's play, pause, stop and seek events in time order:

    - a play opens a viewing; a play while one is open discards the open one (`Discard Viewing Start On
      Successive Play`);
    - the next pause or stop closes it at its `currentTime` (a pause without one: 0, as the pipeline), a
      seek at its `old_time`; events while none is open are ignored;
    - a viewing opened by the play right after a seek that closed a viewing starts at the seek's
      `new_time` (the pipeline trusts the seek: a play after a seek often repeats the old position),
      otherwise at the play's `currentTime`;
    - kept when it lasts at least 0.25 s and ends within the reported duration + 1 s (when reported);
      positions below 0 or over 10 hours drop their event, as the pipeline's `_check_time_offset`.

    Columns: video, start and end positions (what the timeline counts, as the pipeline: no cap), seconds
    (the advance capped at twice the wall-clock time between the two events -- the player's top speed; ours,
    the pipeline has no seconds-watched figure), time and line of the play."""
    stream = [*keys, "video"]
    at = (pl.when(pl.col("type").is_in(PAUSES)).then(pl.col("position").fill_null(0.0))
          .when(pl.col("type").is_in(SEEKS)).then(pl.col("new_time")).otherwise(pl.col("position")))
    in_range = at.is_between(0, MAX_POSITION_S) & (~pl.col("type").is_in(SEEKS) | pl.col("old_time").is_between(
        0, MAX_POSITION_S))
    events = (frame.filter(pl.col("type").is_in(PLAYS + PAUSES + STOPS + SEEKS) & pl.col("video").is_not_null())
              .with_columns(pl.col("video").cast(pl.String), at.alias("at"))
              .filter(in_range.fill_null(False)).sort([*stream, "ms", "line"]))
    events = events.with_columns(pl.col("type").is_in(PLAYS).cum_sum().over(stream).alias("run"))
    events = events.with_columns(pl.int_range(pl.len()).over([*stream, "run"]).alias("pos"))
    closers = events.filter((pl.col("run") > 0) & (pl.col("pos") == 1)).select(
        *stream, "run", pl.col("type").alias("close_type"), pl.col("at").alias("close_at"),
        pl.col("old_time").alias("close_old"), pl.col("ms").alias("close_ms"))
    before = closers.select(*stream, (pl.col("run") + 1).alias("run"), pl.col("close_type").alias("prev_type"),
                            pl.col("close_at").alias("prev_at"))
    plays = events.filter((pl.col("pos") == 0) & (pl.col("run") > 0))
    viewings = plays.join(closers, on=[*stream, "run"], how="inner").join(before, on=[*stream, "run"], how="left")
    start = pl.when(pl.col("prev_type").is_in(SEEKS)).then(pl.col("prev_at")).otherwise(pl.col("position"))
    end = pl.when(pl.col("close_type").is_in(SEEKS)).then(pl.col("close_old")).otherwise(pl.col("close_at"))
    viewings = viewings.with_columns(start.alias("start"), end.alias("end"))
    kept = (pl.col("end") - pl.col("start") >= MIN_SEGMENT_S) & (
        pl.col("duration").is_null() | (pl.col("duration") <= 0) | (pl.col("end") <= pl.col("duration") + 1))
    cap = (pl.col("close_ms") - pl.col("ms")) / 1000 * TOP_SPEED
    seconds = pl.min_horizontal(pl.col("end") - pl.col("start"), cap)
    return viewings.filter(kept.fill_null(False)).select(
        *keys, "video", pl.col("start").round(3), seconds.alias("seconds"), pl.col("end").round(3), "ms", "line")


def _watched(segments: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return segments.group_by(keys).agg(pl.col("seconds").sum().alias("video_seconds_watched"))


def _modal_ip(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    ips = frame.filter(pl.col("ip").cast(pl.String).fill_null("") != "").group_by([*keys, "ip"]).agg(
        pl.len().alias("n"), pl.col("ms").min().alias("first")).with_columns(pl.col("ip").cast(pl.String))
    return (ips.sort([*keys, "n", "first", "ip"], descending=[False, False, True, False, False])
            .group_by(keys, maintain_order=True).first().select([*keys, pl.col("ip").alias("modal_ip")]))


def column_types() -> dict[str, pl.DataType]:
    """The polars type of each learner_day column (what an empty day has, and what a computed day is cast to)."""
    types = {"integer": pl.Int64, "float": pl.Float64, "string": pl.String, "date": pl.String,
             "datetime": pl.Datetime("ms", "UTC"), "list": pl.List(pl.String)}
    nested = {"video_detail": VIDEO_DETAIL, "problem_detail": PROBLEM_DETAIL, "video_viewings": VIDEO_VIEWINGS,
              "answer_detail": ANSWER_DETAIL, "module_time": MODULE_TIME}
    return {name: nested.get(name, types[kind]) for name, kind, _ in COLUMNS}


@dataclass
class DayWrite:
    day: str
    rows: int
    learners: int
    courses: int
    nevents: int
    version: str
    removed_stale: int


def write_day(db: Database, rows: pl.DataFrame, day: str) -> DayWrite:
    """Replace the day's rows (partition_store: upsert by stable id, then drop other versions)."""
    done = partition_store.replace_partition(db, COLLECTION, "day", day, rows,
                                             lambda r: f"{r['day']}|{r['course_id']}|{r['user_id']}", INDEXES)
    return DayWrite(day=day, rows=rows.height, learners=rows.get_column("user_id").n_unique() if rows.height else 0,
                    courses=rows.get_column("course_id").n_unique() if rows.height else 0,
                    nevents=int(rows.get_column("nevents").sum()) if rows.height else 0,
                    version=done.version, removed_stale=done.removed_stale)


def stored_events(db: Database, day: str) -> int:
    """The nevents sum stored for the day (what the check compares with Eventos)."""
    rows = list(db[COLLECTION].aggregate([{"$match": {"day": day}},
                                          {"$group": {"_id": None, "n": {"$sum": "$nevents"}}}]))
    return int(rows[0]["n"]) if rows else 0


def eventos_events(db: Database, events: str, day: str) -> int:
    """The day's stored events a learner caused in a course (activity_match): what learner_day must account for."""
    return db[events].count_documents(activity_match(day))

