"""The shared demo (conftest.py), run once with MongoDB authentication, EDX_STORE_PII=pseudonymize, a learner edX retired in
its packages and a partner's list of retired learners: secrets never leak, decrypted files never linger, no
identity of the sample world is stored anywhere, every check passes, and the retired learners are gone from
everything."""

import csv
import json
import sqlite3
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from bson import json_util
from pymongo import MongoClient

from edx_assets.local.sample_events import DayTruth, EventWriter
from edx_assets.local.stack import read_env_file
from edx_assets_tests.local.demo_world import PSEUDONYM_KEY, RETIRED, RETIRED_BY_EDX, WORLD
from edx_assets_tests.support import expected_pseudonym

pytestmark = pytest.mark.services  # real gpg, mongod or S3

def _files(root: Path, skip: set[Path]):
    """Every file under `root` but `skip`, with its bytes (a sqlite sidecar, `-shm` or `-wal`, may vanish
    between the listing and the read: its content is then in the database file, which is read too)."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(path == s or s in path.parents for s in skip):
            try:
                yield path, path.read_bytes()
            except FileNotFoundError:
                continue


def test_demo_with_auth_leaks_no_secret_anywhere(demo):
    home, stack, db = demo["home"], demo["stack"], demo["db"]
    password = stack.mongo_password_file.read_text()
    passphrase = stack.passphrase_file.read_text()
    key_line = stack.private_key_file.read_text().splitlines()[5]  # a line of the armored private key
    secrets = [s.encode() for s in (password, passphrase, key_line, PSEUDONYM_KEY)]
    assert all(len(s) >= 16 for s in secrets)
    uri = read_env_file(stack.env_file)["EDX_MONGO_URI"]
    assert password in uri and "authSource=admin" in uri

    # MongoDB refuses anyone without the password...
    anonymous = MongoClient(f"mongodb://127.0.0.1:{stack.mongo_port}/", serverSelectionTimeoutMS=3000)
    try:
        anonymous.edx.list_collection_names()
        raise AssertionError("mongod accepted an unauthenticated client")
    except Exception as exc:
        assert "auth" in str(exc).lower()
    anonymous.close()
    # ...and the pipeline, given the URI, loaded everything.
    assert db.Eventos.estimated_document_count() > 0 and db.courses.count_documents({}) == 4

    leaks = []
    for label, blob in (("demo stdout", demo["run"].stdout), ("demo stderr", demo["run"].stderr)):
        leaks += [label for s in secrets if s in blob]
    for path, data in _files(home, {stack.key_dir, stack.env_file, home / "mongo"}):
        leaks += [str(path.relative_to(home)) for s in secrets if s in data]
    for name in db.list_collection_names():
        for doc in db[name].find():
            text = json_util.dumps(doc).encode()
            leaks += [f"MongoDB {name}" for s in secrets if s in text]
    assert leaks == []

    decrypted = home / "data" / "decrypted"
    assert [p for p in decrypted.rglob("*") if p.is_file()] == []  # removed after loading
    reports = list((home / "data" / "reports").rglob("*.csv"))
    assert len(reports) >= 2 * 5


def _identities() -> dict[str, str]:
    """Every identity of the sample world's learners: username, e-mail, full name, each IP address."""
    found = {}
    for learner in WORLD.learners:
        for value in (learner.username, learner.email, f"{learner.first_name} {learner.last_name}",
                      learner.ip, learner.second_ip):
            if value:
                found[value] = f"learner {learner.user_id}"
    return found


def _text_of(path: Path, data: bytes) -> str:
    """A file's content as text, read with its own engine where it is not plain text."""
    if path.suffix == ".parquet":
        return pl.read_parquet(path).write_csv()
    if path.suffix == ".duckdb":
        with duckdb.connect(str(path), read_only=True) as con:
            tables = [t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()]
            return "\n".join(str(con.execute(f'select * from "{t}"').fetchall()) for t in tables)
    if path.suffix == ".db":  # Dagster's sqlite storage: run logs, materialization metadata and previews
        con = sqlite3.connect(path)
        try:
            tables = [t for (t,) in con.execute("select name from sqlite_master where type = 'table'")]
            return "\n".join(str(con.execute(f'select * from "{t}"').fetchall()) for t in tables)
        finally:
            con.close()
    return data.decode("utf-8", errors="replace")



def test_pseudonymized_storage_holds_no_identity_in_any_collection_or_file(demo):
    home, stack, db = demo["home"], demo["stack"], demo["db"]
    identities = _identities()
    leaks, pseudonyms_seen = [], set()
    some_pseudonyms = {expected_pseudonym(PSEUDONYM_KEY, lr.username) for lr in WORLD.learners[2:12]}
    for name in db.list_collection_names():  # the whole database, document by document
        for doc in db[name].find():
            text = json_util.dumps(doc, ensure_ascii=False)
            leaks += [(f"MongoDB {name}", who) for value, who in identities.items() if value in text]
            pseudonyms_seen |= {("MongoDB", p) for p in some_pseudonyms if p in text}
    for path, data in _files(home, {stack.key_dir, home / "mongo"}):  # the data folder, logs, Dagster's storage
        text = _text_of(path, data)
        leaks += [(str(path.relative_to(home)), who) for value, who in identities.items() if value in text]
        pseudonyms_seen |= {(path.suffix, p) for p in some_pseudonyms if p in text}
    assert leaks == []
    # The scan reads what it should: the same learners' pseudonyms are in MongoDB, the CSVs and the Parquet
    # files, and the IPs are stored as their networks.
    assert {kind for kind, _ in pseudonyms_seen} >= {"MongoDB", ".csv", ".parquet"}
    assert db.Eventos.find_one({"_edx.user_id": 7, "ip": {"$nin": ["", None]}})["ip"].endswith(".0")


def _check_evaluations(home: Path) -> list:
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        return [record.dagster_event.asset_check_evaluation_data for run in instance.get_runs()
                for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]


def test_every_check_passes_with_pseudonymized_storage(demo):
    evaluations = _check_evaluations(demo["home"])
    failed = [(e.asset_check_key.asset_key.to_user_string(), e.check_name) for e in evaluations
              if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    assert failed == []
    names = {(e.asset_check_key.asset_key.to_user_string(), e.check_name) for e in evaluations}
    assert {("eventos", "personal_data_as_store_mode"), ("course_collections", "personal_data_as_store_mode"),
            ("retired_learners", "no_retired_learner_remains"), ("person_course", "one_row_per_enrollment"),
            ("general_report", "totals_reconcile_with_enrollments")} <= names


def _events_of(user_id: int) -> int:
    """The learner's valid events in the delivered files, read from the generator's lines with `json`."""
    writer, n = EventWriter(WORLD), 0
    day = WORLD.spec.start
    while day <= WORLD.spec.end:
        for line in writer.lines(day, DayTruth(day.isoformat())):
            text = line.decode()
            try:
                event = json.loads(text[text.index("{"):])
            except ValueError:
                continue
            if isinstance(event, dict) and (event.get("context") or {}).get("user_id") == user_id:
                n += 1
        day = date.fromordinal(day.toordinal() + 1)
    return n


@pytest.mark.parametrize(("user_id", "source"), [(RETIRED, "retired.txt"), (RETIRED_BY_EDX, "edx")])
def test_a_retired_learner_is_absent_everywhere_after_the_run(demo, user_id, source):
    home, db = demo["home"], demo["db"]
    assert db.retired_learners.find_one({"_id": user_id})["source"] == source
    learner = next(lr for lr in WORLD.learners if lr.user_id == user_id)
    fields = ("_edx.user_id", "user_id", "student_id", "author_id", "votes.up", "votes.down")
    left = {}
    for name in db.list_collection_names():
        if name in {"retired_learners", "courses"}:
            continue
        for field in fields:
            n = db[name].count_documents({field: {"$in": [user_id, str(user_id)]}})
            if n:
                left[f"{name}.{field}"] = n
        if name.endswith(".users") or name == "learner_locations":
            n = db[name].count_documents({"id" if name.endswith(".users") else "_id": user_id})
            if n:
                left[name] = n
    assert left == {}
    assert db.Eventos.count_documents({"username": expected_pseudonym(PSEUDONYM_KEY, learner.username)}) == 0
    # Every line of the two learners is accounted for: counted as `retired` in the days' load records.
    retired = sum(r.get("retired", 0) for r in db["_edx_loads"].find({"_id": {"$regex": "^Eventos:"}}))
    assert retired == _events_of(RETIRED) + _events_of(RETIRED_BY_EDX) and _events_of(user_id) > 0
    # ...and in no report file, this week's or the earlier one's, nor any Parquet file (the warehouse's facts).
    for path in (home / "data" / "reports").rglob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            assert all(row.get("user_id") != str(user_id) for row in csv.DictReader(handle)), path
    parquet = sorted((home / "data").rglob("*.parquet"))
    assert any("facts" in p.parts for p in parquet)
    for path in parquet:
        frame = pl.read_parquet(path)
        assert "user_id" not in frame.columns or user_id not in frame.get_column("user_id").to_list(), path


def test_the_demo_says_where_the_dashboards_the_warehouse_and_the_dictionary_are(demo):
    said = demo["run"].stdout.decode()
    pages = demo["home"] / "data" / "reports" / "2026-10-11" / "dashboards" / "index.html"
    database = demo["home"] / "data" / "warehouse" / "edx.duckdb"
    assert f"file://{pages}" in said and pages.is_file()
    assert str(database) in said and database.is_file()
    assert "docs/data-dictionary.md" in said
