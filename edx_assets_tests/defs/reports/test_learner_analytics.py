"""Learner analytics: person_course and its funnel, the daily tables, learner_day recomputed from the raw
events with the definitions as stated, the incrementally kept weekly totals."""

import json
from collections import Counter
from datetime import UTC, date

import pytest

from edx_assets_tests.defs.reports.truth import (
    DAYS,
    EVENTS,
    LEARNER_DAYS,
    MIN_CELL,
    SUNDAY,
    WEEK,
    WORLD,
    expected_ips,
    learners_at,
    published_cell,
)
from edx_assets_tests.support import expected_grade, read_rows


def test_person_course_flags_and_counts(run):
    rows = {(r["course_id"], int(r["user_id"])): r for r in read_rows(run["dir"] / "person_course.csv")}
    plays, checks = Counter(), Counter()
    for e in EVENTS:
        if e["user_id"] is None or not e["course"]:
            continue
        if e["type"] in ("play_video", "edx.video.played"):
            plays[(e["course"], e["user_id"])] += 1
        if e["type"] == "problem_check" and e["source"] == "server":
            checks[(e["course"], e["user_id"])] += 1
    enrolled = [e for c in WORLD.courses for e in WORLD.enrollments_at(c, SUNDAY)]
    assert len(rows) == len(enrolled)
    for e in enrolled:
        row = rows[(e.course.cid.v1, e.learner.user_id)]
        visits = e.visits_until(SUNDAY)
        chapters = {e.course.chapter_of[e.course.units[v.unit_index].block_id] for v in visits}
        cert = WORLD.certificate(e, SUNDAY)
        assert row["registered"] == "1"
        assert row["viewed"] == str(int(bool(visits)))
        assert int(row["nchapters"]) == len(chapters)
        assert row["explored"] == str(int(len(chapters) * 2 >= len(e.course.chapters)))
        assert row["certified"] == str(int(bool(cert) and cert[0] == "downloadable"))
        # The course grade: edX's persistent grade wherever the learner has one (a self-paced course's learners
        # have no certificate at all), else the certificate's; completed is its pass.
        grade = expected_grade(WORLD, e, SUNDAY)
        assert row["completed"] == str(int(bool(grade and grade[1])))
        assert (float(row["grade"]) if row["grade"] else None) == (grade[0] if grade else None)
        persistent = WORLD.course_grade(e, SUNDAY)
        assert row["grade_source"] == ("grades_persistentcoursegrade" if persistent else "certificate" if cert else "")
        assert row["passed_at"] == (persistent[2].strftime("%Y-%m-%d %H:%M:%S") if persistent and persistent[2] else "")
        assert row["cohort"] == (WORLD.cohort(e) or "")
        assert row["email_opt_in"] == str(int(WORLD.email_opt_in(e)))
        key = (e.course.cid.v1, e.learner.user_id)
        assert int(row["nplay_video"]) == plays[key] and int(row["nproblem_check"]) == checks[key]


def test_course_summary_funnel(run):
    rows = read_rows(run["dir"] / "course_summary.csv")
    overall = {r["course_id"]: r for r in rows if r["dimension"] == "all"}
    hidden = 0
    for course in WORLD.courses:
        enrolled = learners_at(course)
        row = overall[course.cid.v1]
        assert int(row["registered"]) == len(enrolled) >= MIN_CELL
        certs = [WORLD.certificate(e, SUNDAY) for e in enrolled]
        expected = {"viewed": sum(1 for e in enrolled if e.visits_until(SUNDAY)),
                    "certified": sum(1 for c in certs if c and c[0] == "downloadable"),
                    "verified": sum(1 for e in enrolled if e.mode == "verified")}
        for name, value in expected.items():
            assert row[name] == published_cell(value), (course.cid.v1, name)
            assert (name in row["suppressed"].split(";")) == (0 < value < MIN_CELL)
            if name != "verified":  # a share computed from an emptied count is emptied with it
                assert (row[f"share_{name}"] == "") == (0 < value < MIN_CELL)
        by_gender = {r["value"]: r for r in rows if r["course_id"] == course.cid.v1 and r["dimension"] == "gender"}
        women = sum(1 for e in enrolled if e.learner.has_profile and e.learner.gender == "f")
        assert by_gender["f"]["registered"] == published_cell(women) if women else "f" not in by_gender
        published = sum(int(r["registered"]) for r in by_gender.values() if r["registered"])
        emptied = [r for r in by_gender.values() if not r["registered"]]
        assert len(emptied) <= len(enrolled) - published <= len(emptied) * (MIN_CELL - 1)
        assert all(r["suppressed"] and all(r[c] == "" for c in ("viewed", "certified", "share_viewed"))
                   for r in emptied)  # a row of 1 to 4 learners keeps only its keys
        hidden += len(emptied)
    assert hidden > 0  # the small world has small cells: the rule was exercised
    assert run["db"].course_summary.count_documents({"week": WEEK}) == len(rows)


def test_activity_daily_per_course_and_day(run):
    day = DAYS[2]
    rows = {r["course_id"]: r for r in read_rows(run["dir"].parent / "daily" / day / "activity_daily.csv")}
    filed = [e for e in EVENTS if e["file_day"] == day and e["course"] and e["user_id"] is not None and e["caused"]]
    for course in WORLD.courses:
        mine = [e for e in filed if e["course"] == course.cid.v1]
        row = rows[course.cid.v1]
        assert int(row["events"]) == len(mine)
        assert int(row["active_users"]) == len({e["user_id"] for e in mine})
        assert int(row["users_played_video"]) == len({e["user_id"] for e in mine
                                                      if e["type"] in ("play_video", "edx.video.played")})


def test_enrollment_daily_from_the_worlds_enrollments(run):
    rows = {(r["course_id"], r["day"], r["mode"]): r for r in read_rows(run["dir"] / "enrollment_daily.csv")}
    expected: Counter = Counter()
    for e in WORLD.enrollments:
        if str(e.created.date()) in DAYS:
            expected[(e.course.cid.v1, str(e.created.date()), e.mode, "enrolled")] += 1
        if e.unenrolled and str(e.unenrolled) in DAYS:
            expected[(e.course.cid.v1, str(e.unenrolled), e.mode, "unenrolled")] += 1
    assert expected
    for (course, day, mode, kind), n in expected.items():
        assert int(rows[(course, day, mode)][kind]) == n
    assert sum(int(r["enrolled"]) for r in rows.values()) == sum(n for k, n in expected.items() if k[3] == "enrolled")


def test_video_engagement_plays_per_video(run):
    rows = read_rows(run["dir"] / "video_engagement.csv")
    plays: Counter = Counter()
    team = {c.cid.v1: WORLD.course_team(c) for c in WORLD.courses}
    for e in EVENTS:
        if e["type"] in ("play_video", "edx.video.played") and e["user_id"] is not None \
                and e["user_id"] not in team[e["course"]]:
            event = json.loads(e["event"]) if isinstance(e["event"], str) else e["event"]
            plays[(e["course"], event["id"].rsplit("@", 1)[-1].rsplit("/", 1)[-1])] += 1
    assert sum(int(r["plays"]) for r in rows) == sum(plays.values())
    for row in rows:
        assert int(row["plays"]) == plays[(row["course_id"], row["video_id"].rsplit("@", 1)[-1].rsplit("/", 1)[-1])]
        assert row["video_name"].startswith("Video ")


def test_problem_analysis_from_the_worlds_visits(run):
    rows = {r["problem_id"]: r for r in read_rows(run["dir"] / "problem_analysis.csv")}
    for course in WORLD.courses:
        for problem in course.problems:
            index = course.units.index(problem)
            visits = [v for e in WORLD.enrollments if e.course is course for v in e.visits
                      if v.unit_index == index and str(v.day) in DAYS
                      and e.learner.user_id not in WORLD.course_team(course)]
            row = rows[problem.block_id]
            assert int(row["learners_attempted"]) == len(visits)
            if visits:
                assert float(row["share_correct_first_attempt"]) == pytest.approx(
                    sum(v.correct for v in visits) / len(visits), abs=1e-4)
                assert float(row["attempts_per_learner"]) == pytest.approx(
                    sum(v.attempts for v in visits) / len(visits), abs=1e-4)
                assert float(row["mean_score"]) == pytest.approx(sum(v.solved for v in visits) / len(visits), abs=1e-4)


def test_learner_day_recomputed_from_the_raw_events(run):
    docs = {(d["day"], d["course_id"], d["user_id"]): d for d in run["db"].learner_day.find()}
    assert set(docs) == set(LEARNER_DAYS)
    # The sample must exercise each rule: a session gap, a gap counted under 30 minutes but not under 5,
    # and a video segment (capped: the sample's player reports 131.5 s after 60 s of wall clock).
    assert any(r["sessions"] > 1 for r in LEARNER_DAYS.values())
    assert any(r["time_on_task_30"] > r["time_on_task_5"] for r in LEARNER_DAYS.values())
    assert any(r["video_seconds_watched"] > 0 for r in LEARNER_DAYS.values())
    assert any(r["mobile_app"] for r in LEARNER_DAYS.values())
    for key, expected in LEARNER_DAYS.items():
        doc = docs[key]
        assert doc["username"] and doc["_id"] == "|".join(map(str, key))
        for name in ("nevents", "sessions", "nplay_video", "nproblem_check", "problems", "videos",
                     "nforum_threads", "modal_ip"):
            assert doc[name] == expected[name], (key, name)
        assert doc["events_mobile_app"] == expected["mobile_app"]
        assert doc["nevents"] == sum(doc[f"events_{c}"] for c in ("mobile_app", "mobile_browser", "desktop",
                                                                   "agent_unknown"))
        for name in ("first_event", "last_event"):  # BSON dates: milliseconds
            assert doc[name].replace(tzinfo=UTC) == expected[name].replace(
                microsecond=expected[name].microsecond // 1000 * 1000)
        for name in ("time_on_task_5", "time_on_task_30", "video_time_5", "video_time_30", "problem_time_30",
                     "forum_time_30", "other_time_30", "video_seconds_watched"):
            assert doc[name] == pytest.approx(expected[name], abs=1e-3), (key, name)
    checks = {(c.asset_key.path[-1], c.check_name): c.passed for c in run["daily_checks"]}
    assert checks[("learner_day", "nevents_reconcile_with_eventos")] is True


def test_person_course_activity_columns_are_learner_day_totals(run):
    rows = {(r["course_id"], int(r["user_id"])): r for r in read_rows(run["dir"] / "person_course.csv")}
    totals: dict[tuple[str, int], dict] = {}
    for (day, course, user), r in LEARNER_DAYS.items():
        t = totals.setdefault((course, user), {"days": set(), "videos": set(), "problems": set(), "sums": Counter(),
                                               "first": r["first_event"], "last": r["last_event"]})
        t["days"].add(day)
        t["videos"] |= set(r["videos"])
        t["problems"] |= set(r["problems"])
        t["first"], t["last"] = min(t["first"], r["first_event"]), max(t["last"], r["last_event"])
        for name in ("nevents", "sessions", "time_on_task_5", "time_on_task_30", "video_seconds_watched",
                     "nplay_video", "nproblem_check", "nforum_threads"):
            t["sums"][name] += r[name]
    assert totals
    for key, row in rows.items():
        t = totals.get(key)
        if t is None:  # enrolled, no event: zero counts, empty times
            assert row["nevents"] == "0" and row["first_event"] == "" and row["time_on_task_30"] == "0.0"
            continue
        assert int(row["ndays_act"]) == len(t["days"])
        assert int(row["nvideos"]) == len(t["videos"]) and int(row["nproblems"]) == len(t["problems"])
        assert row["first_event"] == t["first"].strftime("%Y-%m-%d %H:%M:%S")
        assert row["last_event"] == t["last"].strftime("%Y-%m-%d %H:%M:%S")
        for name in ("nevents", "sessions", "nplay_video", "nproblem_check", "nforum_threads"):
            assert int(row[name]) == t["sums"][name], (key, name)
        for name in ("time_on_task_5", "time_on_task_30", "video_seconds_watched"):
            assert float(row[name]) == pytest.approx(t["sums"][name], abs=1e-3), (key, name)
    enrolled_with_events = {k for k in totals if k in rows}
    assert len(enrolled_with_events) > len(rows) // 2


def test_learner_totals_kept_incrementally_equal_the_totals_over_every_day(run):
    """Totals of the days before 10-07 (computed over every day), carried to 10-14 with the days 10-07..10
    only, equal the week 10-11's totals the asset computed over every day (the same days are loaded)."""
    from edx_assets.edx import learner_totals as lt

    db = run["db"]
    try:
        first = lt.compute(db, date(2026, 10, 7))
        lt.write_week(db, date(2026, 10, 7), first.frame)
        carried = lt.compute(db, date(2026, 10, 14))
        assert (first.mode, carried.mode) == ("full", "incremental")
        assert carried.days_read == sum(1 for k in LEARNER_DAYS if k[0] >= "2026-10-07")
        stored = lt.read_week(db, SUNDAY)
        assert stored.height == len({(c, u) for _, c, u in LEARNER_DAYS})
        assert carried.frame.equals(stored)
    finally:
        db.learner_totals.delete_many({"week": {"$in": ["2026-10-07", "2026-10-14"]}})
        db.learner_totals_weeks.delete_many({"_id": {"$in": ["2026-10-07", "2026-10-14"]}})


def test_learner_ips_kept_incrementally_equal_the_ips_of_every_day(run):
    """As for learner_totals: IPs of the days before 10-07 carried to 10-14 with the days 10-07..10 equal the
    week 10-11's, grouped over every day; and they give each learner the registration and modal IPs that the
    raw events give."""
    from edx_assets.edx import learner_ips as li

    db, events = run["db"], "Eventos"
    try:
        first = li.compute(db, events, date(2026, 10, 7))
        li.write_week(db, date(2026, 10, 7), first.frame)
        carried = li.compute(db, events, date(2026, 10, 14))
        assert (first.mode, carried.mode) == ("full", "incremental")
        assert carried.frame.equals(li.read_week(db, SUNDAY))
    finally:
        db.learner_ips.delete_many({"week": {"$in": ["2026-10-07", "2026-10-14"]}})
        db.learner_ips_weeks.delete_many({"_id": {"$in": ["2026-10-07", "2026-10-14"]}})
    chosen = {r["user_id"]: (r["ip"], r["modal_ip"]) for r in li.choose(carried.frame).iter_rows(named=True)}
    assert chosen == expected_ips()
