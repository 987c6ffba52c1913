"""On a 3-member replica set (the local stack's EDX_LOCAL_MONGO_REPLSET=3, real mongods from the same wheel):
a day's load and a week's package load end exact when the primary steps down or is killed in the middle,
and the reports read from the secondaries give the same files as from the primary.

Exact, for a day: the documents are the valid lines of the file read with the `json` module, each once
(its line number in its `_id`), on every member. For a package: every collection holds the sample world's rows
(`support.expected_collections`), and after a failure in the middle of the swap each one holds either last
week's rows or this week's, never a mixture. A failure either passes unseen (pymongo retries a write once on
the new primary) or fails the load; a re-run, as Dagster's retry policy would make, then completes it: the
loads are idempotent by construction (ids from the file's content and line, staging then rename)."""

import gzip
import hashlib
import json
import shutil
import time
from datetime import date

import boto3
import dagster as dg
import pytest
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import AutoReconnect, ConnectionFailure, PyMongoError

from edx_assets.edx import course_load, layout
from edx_assets.edx import eventos_schema as ev
from edx_assets.edx.event_load import load_events
from edx_assets.edx.eventos_reads import LOADS_COLLECTION, marker_id
from edx_assets.local.sample import generate_delivery, s3_uploader, write_event_log
from edx_assets.local.sample_world import SampleSpec, SampleWorld
from edx_assets.local.stack import LocalStack, free_port, free_ports
from edx_assets_tests.support import (
    DAILY,
    UPSTREAM,
    decrypted_packages,
    expected_collections,
    materialize,
    new_buckets,
    read_rows,
)

pytestmark = [pytest.mark.services, pytest.mark.replset]

DAY = date(2026, 10, 7)
PACKAGE_WORLD = SampleWorld(SampleSpec(start=date(2026, 10, 4), end=date(2026, 10, 18), learners=50,
                                       events_per_day=100))


@pytest.fixture(scope="module")
def rs(tmp_path_factory):
    local = LocalStack(home=tmp_path_factory.mktemp("replset") / "stack", mongo_port=free_ports(3),
                       s3_port=free_port(), mongo_replset=3)
    local.up()
    yield local
    # stopped as `make down` stops it without EDX_LOCAL_MONGO_REPLSET: every member the folder recorded
    members = [local._running(m) for m in local.services()[:3]]
    plain = LocalStack(home=local.home, mongo_port=local.mongo_port, s3_port=local.s3_port)
    assert sorted(plain.down()) == ["mongod", "mongod1", "mongod2", "s3"]
    assert not [m for m in members if m is not None and m.is_running()]


def _client(rs, retried: bool) -> MongoClient:
    """As MongoResource connects (writes acknowledged by a majority, retried once on a new primary); or
    without pymongo's retry, so that a failure is more likely to fail the load and leave a re-run to finish."""
    return MongoClient(rs.mongo_uri, w="majority", tz_aware=True, retryWrites=retried, serverSelectionTimeoutMS=30_000)


@pytest.fixture(scope="module")
def day_file(tmp_path_factory):
    """A day of 60,000 events; the line numbers of its valid lines, read with the json module."""
    folder = tmp_path_factory.mktemp("day")
    world = SampleWorld(SampleSpec(start=DAY, end=DAY, learners=3000, events_per_day=60_000, malformed_per_day=20))
    truth = write_event_log(world, DAY, folder / "day.log.gz")
    plain = folder / "day.log"
    with gzip.open(folder / "day.log.gz") as source, plain.open("wb") as target:
        shutil.copyfileobj(source, target)
    valid = set()
    for number, raw in enumerate(plain.read_bytes().split(b"\n")[:-1], start=1):
        try:
            if isinstance(json.loads(raw[raw.find(b"{"):]), dict):
                valid.add(number)
        except ValueError:
            pass
    assert len(valid) == truth.valid > 50_000
    return plain, valid


def _step_down(rs) -> None:
    primary = MongoClient(f"mongodb://{rs.primary()}/?directConnection=true", serverSelectionTimeoutMS=5000)
    try:
        primary.admin.command("replSetStepDown", 30, secondaryCatchUpPeriodSecs=10)
    except (AutoReconnect, ConnectionFailure):
        pass  # a primary stepping down closes its connections
    finally:
        primary.close()


def _fail(rs, how: str) -> str:
    """Step the primary down or kill it (SIGKILL); the old primary's address."""
    old = rs.primary()
    if how == "stepdown":
        _step_down(rs)
    else:
        rs.kill(rs.member(old))
    return old


def _on_every_member(rs, count, expected, timeout: float = 60) -> None:
    """`count(database)` equals `expected` on each member, read there directly (it may take a moment)."""
    for port in rs.mongo_ports:
        member = MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true&readPreference=secondaryPreferred",
                             serverSelectionTimeoutMS=10_000)
        try:
            deadline, seen = time.monotonic() + timeout, None
            while time.monotonic() < deadline:
                seen = count(member)
                if seen == expected:
                    break
                time.sleep(0.5)
            assert seen == expected, (port, seen, expected)
        finally:
            member.close()


@pytest.mark.parametrize("how,retried", [("stepdown", True), ("kill", False)])
def test_a_days_load_ends_exact_when_the_primary_fails_in_the_middle(rs, day_file, how, retried):
    plain, valid = day_file
    client = _client(rs, retried)
    db = client[f"rs_day_{how}"]
    sha = hashlib.sha256(plain.read_bytes()).hexdigest()
    failed: list[str] = []

    def midway(line: int) -> None:  # after each batch the loader settles: fail once, a third of the way in
        if not failed and line >= len(valid) // 3:
            failed.append(_fail(rs, how))

    def load(progress=None):
        return load_events(db, plain, collection="Eventos", partition=str(DAY), sha256=sha, source_name=plain.name,
                           batch_size=2000, progress=progress)

    reruns = 0
    try:
        load(midway)
    except (PyMongoError, RuntimeError):
        reruns = 1
        load()
    assert failed, "the primary did not fail during the load"
    assert rs.primary() not in (None, failed[0]) or how == "stepdown"
    events = db["Eventos"]
    lines = {int(d["_id"].rsplit(":", 1)[1]) for d in events.find({ev.PARTITION: str(DAY)}, {"_id": 1})}
    assert events.count_documents({}) == len(lines) == len(valid) and lines == valid, reruns
    print(f"day load, primary {how}, retryWrites={retried}: {reruns} re-run")
    marker = db[LOADS_COLLECTION].find_one({"_id": marker_id("Eventos", str(DAY))})
    assert marker["complete"] and marker["stored"] == len(valid)
    rs.up()  # a killed member starts again and catches up
    _on_every_member(rs, lambda m: m[db.name]["Eventos"].count_documents({}), len(valid))
    client.close()


@pytest.fixture(scope="module")
def packages(tmp_path_factory, public_key, private_key, passphrase):
    return decrypted_packages(PACKAGE_WORLD, ["2026-10-11", "2026-10-18"], tmp_path_factory.mktemp("packages"),
                              public_key, private_key, passphrase, with_failed=False)


def _counts(db, sunday: str) -> dict[str, int]:
    day = date.fromisoformat(sunday)
    return {f"{layout.collection_prefix(course.cid.file_prefix, 'idbx')}.{suffix}": count
            for course in PACKAGE_WORLD.courses
            for suffix, count in expected_collections(PACKAGE_WORLD, course, day).items()}


def _load(db, packages, sunday):
    manifest, folder = packages[sunday]
    return course_load.load_package(db, manifest, folder, date.fromisoformat(sunday), "idbx")


@pytest.mark.parametrize("how,where,retried", [("stepdown", "staging", True), ("kill", "swap", False)])
def test_a_weeks_package_load_ends_exact_when_the_primary_fails_in_the_middle(rs, packages, monkeypatch, how, where,
                                                                                retried):
    client = _client(rs, retried)
    db = client[f"rs_package_{how}"]
    _load(db, packages, "2026-10-11")
    before, after = _counts(db, "2026-10-11"), _counts(db, "2026-10-18")
    assert before != after
    failed: list[str] = []
    if where == "staging":  # while the week's rows go into the staging collections, the third table
        real, calls = course_load._insert, []

        def insert(*args, **kwargs):
            calls.append(1)
            if len(calls) == 3 and not failed:
                failed.append(_fail(rs, how))
            return real(*args, **kwargs)

        monkeypatch.setattr(course_load, "_insert", insert)
    else:  # in the middle of swapping them in, one rename after another
        rename, renames = Collection.rename, []

        def renaming(self, *args, **kwargs):
            renames.append(self.name)
            if len(renames) == 5 and not failed:
                failed.append(_fail(rs, how))
            return rename(self, *args, **kwargs)

        monkeypatch.setattr(Collection, "rename", renaming)
    reruns = 0
    try:
        _load(db, packages, "2026-10-18")
    except PyMongoError:
        reruns = 1
        # what the failed run left: each collection is last week's or this week's, whole
        for name, count in after.items():
            assert db[name].count_documents({}) in (before[name], count), name
        monkeypatch.undo()
        _load(db, packages, "2026-10-18")
    monkeypatch.undo()
    assert failed, "the primary did not fail during the load"
    assert {name: db[name].count_documents({}) for name in after} == after, reruns
    print(f"package load, primary {how} during the {where}, retryWrites={retried}: "
          f"{reruns} re-run")
    assert not [n for n in db.list_collection_names() if "__staging_" in n]
    rs.up()
    _on_every_member(rs, lambda m: {n: m[db.name][n].count_documents({}) for n in after}, after)
    client.close()


def test_the_reports_read_from_the_secondaries_give_the_same_files(rs, tmp_path, public_key):
    """The week's loads through Dagster on the replica set (w: majority), then reports with
    EDX_MONGO_READ_PREFERENCE=primary and =secondaryPreferred: the same bytes, and the second run's reads
    went to the secondaries (their query counters)."""
    from edx_assets_tests.defs.reports.truth import DAYS, SPEC, WEEK

    s3 = boto3.client("s3", endpoint_url=rs.s3_endpoint, region_name="us-east-1",
                      aws_access_key_id="k", aws_secret_access_key="s")
    names = new_buckets(s3)
    generate_delivery(SPEC, rs.public_key_file.read_text(), s3_uploader(s3), events_bucket=names["events"],
                      courses_bucket=names["courses"])
    env = {**rs.env(), "EDX_MONGO_DB": "rs_reports", "EDX_EVENTS_BUCKET": names["events"],
           "EDX_COURSES_BUCKET": names["courses"], "EDX_DATA_DIR": str(tmp_path / "data")}
    reports = ("learner_totals", "general_report", "person_course", "video_engagement", "video_segments",
               "problem_analysis", "retention_by_cohort", "course_axis", "time_on_asset", "section_engagement")
    instance = dg.DagsterInstance.ephemeral()
    folder = tmp_path / "data" / "reports" / WEEK
    files = {}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        for day in DAYS:
            assert materialize(env, day, instance, DAILY, graph=DAILY).success
        assert materialize(env, WEEK, instance, UPSTREAM[3:], graph=UPSTREAM[3:]).success
        for mode in ("primary", "secondaryPreferred"):
            patch.setenv("EDX_MONGO_READ_PREFERENCE", mode)
            queries = _secondary_queries(rs)
            assert materialize({**env, "EDX_MONGO_READ_PREFERENCE": mode}, WEEK, instance, reports).success
            served = _secondary_queries(rs) - queries
            files[mode] = {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}
            assert served > 100 if mode == "secondaryPreferred" else served < 20, (mode, served)
    assert files["primary"] == files["secondaryPreferred"] and len(files["primary"]) >= len(reports) - 1
    assert read_rows(folder / "person_course.csv")


def _secondary_queries(rs) -> int:
    """Queries served by the members that are secondaries now."""
    total = 0
    for port in rs.mongo_ports:
        member = MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true", serverSelectionTimeoutMS=5000)
        try:
            status = member.admin.command("serverStatus")
            if not member.admin.command("hello").get("isWritablePrimary"):
                total += status["opcounters"]["query"]
        finally:
            member.close()
    return total
