"""The sample world of the weekly report tests and what it says is true: the world itself, the events of the
generated logs read with the json module, and the definitions the reports follow, applied to them by an
independent implementation (never the report code under test)."""

import csv
import gzip
import io
import itertools
import json
import random
import re
import tempfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path

from edx_assets.edx import layout
from edx_assets.local.sample import write_event_log
from edx_assets.local.sample_package import PackageWriter
from edx_assets.local.sample_world import SampleSpec, SampleWorld
from edx_assets_tests import peers
from edx_assets_tests.support import ROOT

SPEC = SampleSpec(start=date(2026, 10, 4), end=date(2026, 10, 11), learners=60, events_per_day=250)
WORLD = SampleWorld(SPEC)
WEEK = "2026-10-11"
SUNDAY = date(2026, 10, 11)
DAYS = [f"2026-10-{d:02d}" for d in range(4, 11)]


COURSEWARE = re.compile(r"/courseware/([^/?#]+)(?:/([^/?#]+))?")
HANDLER = re.compile(r"/xblock/([^/]+)/handler")
NAMED_BY_ID = {"play_video", "pause_video", "seek_video", "stop_video", "load_video", "complete_video",
               "edx.video.played", "edx.video.paused", "edx.video.position.changed", "edx.video.stopped",
               "edx.video.loaded", "edx.video.completed", "seq_goto", "seq_next", "seq_prev",
               "edx.ui.lms.sequence.next_selected", "edx.ui.lms.sequence.previous_selected",
               "edx.ui.lms.sequence.tab_selected", "edx.ui.lms.outline.selected"}


def event_module(event: dict) -> str | None:
    """The block an event happened in (time on asset's rule, learner_day.DEFINITIONS), as its name."""
    context = event.get("context") or {}
    kind = str(event.get("name") or event.get("event_type") or "")
    payload = peers.payload(event)
    found = ((context.get("module") or {}).get("usage_key")
             or payload.get("problem_id")
             or (payload.get("id") if kind in NAMED_BY_ID else None))
    if found:
        return peers.block_name(found)
    for text in (kind, context.get("path") or ""):
        if match := HANDLER.search(text):
            return peers.block_name(match.group(1))
    for text in (event.get("page") or "", context.get("path") or ""):
        if match := COURSEWARE.search(text):
            return match.group(2) or match.group(1)
    return None


def parsed_events() -> list[dict]:
    """Every valid event of the loaded days, read from the generated logs with the json module."""
    out = []
    for day in DAYS:
        path = Path(tempfile.mkdtemp(prefix="edx-test-")) / f"{day}.log.gz"
        write_event_log(WORLD, date.fromisoformat(day), path)
        for line in gzip.decompress(path.read_bytes()).splitlines():
            start = line.find(b"{")
            try:
                event = json.loads(line[start:]) if start >= 0 else None
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            context = event.get("context") or {}
            cid = layout.parse_course_id(context.get("course_id")) or layout.course_id_from_url(
                event.get("page")) or layout.course_id_from_url(event.get("event_type"))
            user = context.get("user_id")
            kind = event.get("name") or event.get("event_type")
            out.append({"file_day": day, "user_id": user if isinstance(user, int) else None,
                        # what the learner caused (user_activity.py's predicate): not enrollment or task events
                        "caused": not str(kind).startswith("edx.course.enrollment.") and event.get("event_source") != "task",
                        "username": event.get("username"), "course": cid.v1 if cid else None,
                        "type": event.get("name") or event.get("event_type"), "source": event.get("event_source"),
                        "time": datetime.fromisoformat(event["time"]), "event": event.get("event"),
                        "ip": event.get("ip") or None, "agent": event.get("agent"), "module": event_module(event)})
        path.unlink()
        path.parent.rmdir()
    return out


EVENTS = parsed_events()


def events_by_user_course() -> dict[tuple[int, str], list[datetime]]:
    out: dict[tuple[int, str], list[datetime]] = {}
    for e in EVENTS:
        if e["user_id"] is not None and e["course"] and e["caused"]:
            out.setdefault((e["user_id"], e["course"]), []).append(e["time"])
    return out


def learners_at(course) -> list:
    """The course's enrollments at the Sunday without the course team (what the aggregates count)."""
    team = WORLD.course_team(course)
    return [e for e in WORLD.enrollments_at(course, SUNDAY) if e.learner.user_id not in team]


def expected_ips() -> dict[int, tuple[str, str]]:
    """Per user id, from the raw events: (registration IP, modal IP). Registration: the earliest
    enrollment activation's IP, else the earliest event's; modal: the most frequent IP, ties to the IP
    seen first, then the smaller string."""
    seen: dict[int, list[dict]] = {}
    for e in EVENTS:
        if e["user_id"] is not None and e["ip"]:
            seen.setdefault(e["user_id"], []).append(e)
    out = {}
    for user, mine in seen.items():
        activations = [e for e in mine if e["type"] == "edx.course.enrollment.activated"]
        registration = min(activations or mine, key=lambda e: (e["time"], e["ip"]))["ip"]
        counts = Counter(e["ip"] for e in mine)
        first = {ip: min(e["time"] for e in mine if e["ip"] == ip) for ip in counts}
        modal = min(counts, key=lambda ip: (-counts[ip], first[ip], ip))
        out[user] = (registration, modal)
    return out


# The learner counts of every aggregate that leaves the platform (what EDX_MIN_CELL protects).
LEARNER_COUNTS = {
    "general_report": ["total_users", "active_users", "approved_users", "certified_users", "failed_users", "male",
                       "female", "other_gender", "unknown_gender", "active_enrollments", "unenrolled",
                       "verified_enrollments", "certificates"],
    "course_summary": ["registered", "viewed", "explored", "certified", "verified"],
    "geography": ["registered", "viewed", "explored", "certified", "verified"],
    "video_engagement": ["viewers", "completers"], "video_segments": ["viewers"],
    "problem_analysis": ["learners_attempted"], "answer_distribution": ["first_response_count", "last_response_count"],
    "enrollment_by_demographics_daily": ["enrollments", "cumulative_enrollments", "cumulative_active"],
    "retention_by_cohort": ["learners", "active_learners"], "enrollment_daily": ["enrolled", "unenrolled", "cumulative"],
    "activity_daily": ["active_users", "users_played_video", "users_attempted_problem", "users_posted_forum"],
}


REPORT_COLLECTIONS = ["reports", "course_summary", "learner_locations", "activity_daily", "learner_day",
                      "learner_totals", "learner_ips"]


def report_collections(db) -> dict[str, list]:
    return {name: list(db[name].find().sort("_id")) for name in REPORT_COLLECTIONS}


def reorder_every_collection(db) -> None:
    """Same documents, another physical order: what a reader gets from a scan or a $group changes."""
    for name in db.list_collection_names():
        docs = list(db[name].find())
        if len(docs) < 2:
            continue
        random.Random(name).shuffle(docs)
        db[name].delete_many({})
        db[name].insert_many(docs)


MIN_CELL = 5  # EDX_MIN_CELL's default, which the run keeps


def published_cell(value: int) -> str:
    """A learner count as an aggregate that leaves the platform publishes it: 1 to 4 learners emptied."""
    return "" if 0 < value < MIN_CELL else str(value)


PLAYS, PAUSES, STOPS = {"play_video", "edx.video.played"}, {"pause_video", "edx.video.paused"}, {
    "stop_video", "edx.video.stopped"}


SEEKS = {"seek_video", "edx.video.position.changed"}


VIDEO_TYPES = PLAYS | PAUSES | STOPS | SEEKS | {"load_video", "edx.video.loaded", "complete_video",
                                                "edx.video.completed"}


def event_kind(event_type: str) -> str:
    if re.search(r"\w+_video|\w+_transcript", event_type) or event_type.startswith("edx.video."):
        return "video"
    if re.search(r"problem_\w+", event_type) or event_type.startswith("edx.problem."):
        return "problem"
    if event_type.startswith("edx.forum.") or any(f"/discussion/{p}" in event_type
                                                  for p in ("forum", "threads", "comments")):
        return "forum"
    return "other"


FORUM_POSTS = {"edx.forum.thread.created", "edx.forum.response.created", "edx.forum.comment.created"}


def gap_sums(times: list[datetime]) -> dict[int, float]:
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    return {cutoff: sum(g for g in gaps if g < cutoff * 60) for cutoff in (5, 30)}


def expected_learner_days() -> dict[tuple[str, str, int], dict]:
    groups: dict[tuple[str, str, int], list[dict]] = {}
    for e in EVENTS:  # file order within a day: the tie-break of equal times
        if e["course"] and e["user_id"] is not None and e["caused"]:
            groups.setdefault((e["file_day"], e["course"], e["user_id"]), []).append(e)
    out = {}
    for key, mine in groups.items():
        mine = sorted(mine, key=lambda e: e["time"])  # stable: equal times keep the file's order
        times = [e["time"] for e in mine]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        timed = [e for e in mine if "/xblock/" not in e["type"]]
        row = {"nevents": len(mine), "first_event": min(times), "last_event": max(times),
               "sessions": 1 + sum(1 for g in gaps if g > 1800)}
        total = gap_sums([e["time"] for e in timed])
        row["time_on_task_5"], row["time_on_task_30"] = total[5], total[30]
        for kind in ("video", "problem", "forum", "other"):
            part = gap_sums([e["time"] for e in timed if event_kind(e["type"]) == kind])
            row[f"{kind}_time_5"], row[f"{kind}_time_30"] = part[5], part[30]
        videos = [e for e in mine if e["type"] in VIDEO_TYPES]
        watched, viewings = 0.0, []
        streams: dict[str, list] = {}
        for e in videos:
            streams.setdefault(peers.block_name(peers.payload(e).get("id")), []).append((e["time"], e["type"], peers.payload(e)))
        for video, stream in sorted(streams.items()):
            for start, end, played, closed in peers.viewings(stream):
                seconds = min(end - start, 2 * (closed - played).total_seconds())
                watched += seconds
                viewings.append((video, start, end, seconds))
        row["video_seconds_watched"] = watched
        row["viewings"] = viewings
        row["video_events"] = [(peers.block_name(peers.payload(e).get("id")), e["type"], peers.payload(e)) for e in videos]
        row["server_checks"] = [e for e in mine if e["type"] == "problem_check" and e["source"] == "server"]
        row["forum_posts"] = sum(1 for e in mine if e["type"] in FORUM_POSTS)
        row["nplay_video"] = sum(1 for e in mine if e["type"] in PLAYS)
        server_checks = [e for e in mine if e["type"] == "problem_check" and e["source"] == "server"]
        row["nproblem_check"] = len(server_checks)
        row["problems"] = sorted({peers.payload(e)["problem_id"] for e in server_checks})
        row["videos"] = sorted({peers.block_name(peers.payload(e).get("id")) for e in videos})
        row["nforum_threads"] = sum(1 for e in mine if e["type"] == "edx.forum.thread.created")
        ips = Counter(e["ip"] for e in mine if e["ip"])
        first_seen = {ip: min(e["time"] for e in mine if e["ip"] == ip) for ip in ips}
        row["modal_ip"] = min(ips, key=lambda ip: (-ips[ip], first_seen[ip], ip)) if ips else None
        row["mobile_app"] = sum(1 for e in mine if e["source"] == "mobile" or (e["agent"] or "").startswith("edX/"))
        out[key] = row
    return out


LEARNER_DAYS = expected_learner_days()


def course_team_ids(course_id: str) -> set[int]:
    return WORLD.course_team(next(c for c in WORLD.courses if c.cid.v1 == course_id))


def learner_days_of_learners():
    """LEARNER_DAYS without the course team's rows (what the per-course aggregates count)."""
    return {k: r for k, r in LEARNER_DAYS.items() if k[2] not in course_team_ids(k[1])}


def expected_viewers() -> dict[tuple[str, str], dict[int, dict]]:
    """Per (course, video short id) and learner (course team left out): plays, seconds, furthest position,
    the largest duration reported, and the viewings, from the raw video events."""
    out: dict[tuple[str, str], dict[int, dict]] = {}
    for (_, course, user), r in learner_days_of_learners().items():
        for video, kind, payload in r["video_events"]:
            v = out.setdefault((course, video), {}).setdefault(user, {"plays": 0, "seconds": 0.0, "furthest": None,
                                                                      "duration": None, "viewings": []})
            v["plays"] += kind in PLAYS
            position = payload.get("currentTime")
            if position is not None:
                v["furthest"] = position if v["furthest"] is None else max(v["furthest"], position)
            if payload.get("duration"):
                v["duration"] = max(v["duration"] or 0, payload["duration"])
        for video, start, end, seconds in r["viewings"]:
            out[(course, video)][user]["seconds"] += seconds
            out[(course, video)][user]["viewings"].append((start, end))
    return {k: {u: v for u, v in users.items() if v["plays"]} for k, users in out.items()}


def readme_queries() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### SQL and BI tools", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def package_table(course, table: str, ora: bool = False) -> list[dict]:
    """A table of the week's package as edX delivers it (an `ora/` one with `ora`), read with the csv module
    (None written as NULL)."""
    writer = PackageWriter(WORLD, SUNDAY)
    chunks = (writer.ora(course) if ora else writer.tables(course)).get(table)
    if chunks is None:
        return []
    text = b"".join(chunks).decode("utf-8")
    return [{k: (None if v == "NULL" else v) for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)]


def course_order(structure: dict) -> list[str]:
    """Block ids depth first from the course block, children in order (edx2bigquery's index)."""
    root = next(k for k, b in structure.items() if b["category"] == "course")
    order: list[str] = []

    def visit(block_id: str) -> None:
        order.append(block_id)
        for child in structure[block_id].get("children", []):
            visit(child)

    visit(root)
    return order
