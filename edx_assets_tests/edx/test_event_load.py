"""Loading decrypted days into a real mongod: idempotency, crash recovery, quarantine, public fixtures."""

import json
import re
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from edx_assets.edx import event_indexes, event_load, eventos_reads, parse_pipeline
from edx_assets_tests.support import FIXTURES

pytestmark = pytest.mark.services  # real gpg, mongod or S3

COLL = "Eventos"


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def _event(i: int, **extra) -> bytes:
    return orjson.dumps({"username": f"u{i}", "event_type": "play_video", "time": "2026-10-05T10:00:00+00:00",
                         "context": {"course_id": "course-v1:A+B+C", "user_id": i}, "event": "{}", **extra})


def _load(db, path: Path, partition: str = "2026-10-05", sha: str | None = None, **kw):
    return event_load.load_events(db, path, collection=COLL, partition=partition,
                                  sha256=sha or "a" * 64, source_name=path.name, **kw)


def test_load_stores_valid_lines_and_quarantines_the_rest(db, tmp_path):
    path = _write(tmp_path / "day.log", [_event(1), b'{"truncated": "li', _event(2), b"", b"[1, 2]", _event(3)])
    result = _load(db, path)
    assert (result.inserted, result.rejected, result.blank) == (3, 2, 1)
    assert db[COLL].count_documents({"_edx.partition": "2026-10-05"}) == 3
    rejected = sorted(db[f"{COLL}_rejected"].find({}, {"_id": 0, "line": 1, "reason": 1, "raw": 1, "file": 1}),
                      key=lambda d: d["line"])
    assert [r["line"] for r in rejected] == [2, 5]
    assert rejected[0]["raw"] == '{"truncated": "li' and rejected[0]["file"] == "day.log"
    assert "truncated" in rejected[0]["reason"] and "array" in rejected[1]["reason"]


def _blank_positions(path: Path) -> list[int]:
    with path.open("rb") as handle:
        return [n for n, line in enumerate(handle, start=1) if not line.strip()]


def _expand(runs_text: str) -> list[int]:
    out = []
    for part in filter(None, runs_text.split(",")):
        first, _, last = part.partition("-")
        out.extend(range(int(first), int(last or first) + 1))
    return out


@pytest.mark.parametrize("pipelined", [False, True])
def test_every_blank_line_is_recorded_with_its_position_in_the_load_record(db, tmp_path, pipelined):
    # Blank runs at the start, across a batch boundary (batches of 100 documents), lone, and at the end.
    lines = [b"", b"  ", *[_event(i) for i in range(99)], b"", b"\t", _event(99), b"", *[_event(i) for i in range(100, 150)],
             b"", b"", b"\r"]
    path = _write(tmp_path / "day.log", lines)
    expected = _blank_positions(path)
    result = _load(db, path, pipelined=pipelined, batch_size=100)
    marker = db[eventos_reads.LOADS_COLLECTION].find_one({"_id": f"{COLL}:2026-10-05"})
    assert _expand(marker["blank_lines"]) == expected and marker["blank"] == len(expected) == result.blank
    assert _expand(result.blank_lines) == expected
    again = _load(db, path, pipelined=pipelined, batch_size=100)
    assert again.unchanged and _expand(again.blank_lines) == expected


def test_acknowledged_documents_that_vanish_fail_the_load_and_the_rerun_completes_it(db, tmp_path):
    """As when mongod crashes right after acknowledging a batch it had not journaled yet."""
    path = _write(tmp_path / "day.log", [_event(i) for i in range(300)])
    lost = []

    def lose_a_batch(_line: int) -> None:
        if not lost:  # once, after the first batch was acknowledged
            lost.append(db[COLL].delete_many({"_edx.partition": "2026-10-05"}).deleted_count)

    with pytest.raises(event_load.LoadIncompleteError) as info:
        _load(db, path, batch_size=100, pipelined=False, progress=lose_a_batch)
    [n_lost] = lost
    assert n_lost >= 100  # the first batch, and the second if it was already in
    assert f"day.log: 300 documents were acknowledged but {300 - n_lost} are stored" in str(info.value)
    again = _load(db, path, batch_size=100, pipelined=False)
    assert (again.inserted, again.already_present, again.stored) == (n_lost, 300 - n_lost, 300)
    assert db[COLL].count_documents({"_edx.partition": "2026-10-05"}) == 300


def test_rerun_of_the_same_file_changes_nothing(db, tmp_path):
    path = _write(tmp_path / "day.log", [_event(i) for i in range(50)] + [b"oops"])
    first = _load(db, path)
    ids_before = sorted(d["_id"] for d in db[COLL].find({}, {"_id": 1}))
    second = _load(db, path)
    assert first.inserted == 50 and second.unchanged and second.inserted == 0
    assert sorted(d["_id"] for d in db[COLL].find({}, {"_id": 1})) == ids_before
    assert db[f"{COLL}_rejected"].count_documents({}) == 1


def test_a_new_version_of_the_day_replaces_the_old_one_exactly(db, tmp_path):
    _load(db, _write(tmp_path / "v1.log", [_event(i) for i in range(40)]), sha="1" * 64)
    other_day = _load(db, _write(tmp_path / "d2.log", [_event(i) for i in range(7)]), partition="2026-10-06")
    result = _load(db, _write(tmp_path / "v2.log", [_event(i) for i in range(25)]), sha="2" * 64)
    assert result.removed_stale == 40
    assert db[COLL].count_documents({"_edx.partition": "2026-10-05"}) == 25
    assert db[COLL].count_documents({"_edx.partition": "2026-10-06"}) == other_day.inserted == 7


def test_crash_in_the_middle_then_rerun_leaves_exact_counts(db, tmp_path):
    path = _write(tmp_path / "day.log", [_event(i) for i in range(1000)] + [b"bad line"])

    class Crash(Exception):
        pass

    def crash_after_first_batches(line_no: int) -> None:
        if line_no >= 300:
            raise Crash

    with pytest.raises(Crash):
        _load(db, path, batch_size=100, progress=crash_after_first_batches)
    partial = db[COLL].count_documents({})
    assert 0 < partial < 1000
    result = _load(db, path, batch_size=100)
    assert not result.unchanged  # the marker of the crashed load was never completed
    assert result.already_present == partial and result.stored == 1000
    assert db[COLL].count_documents({}) == 1000
    assert db[f"{COLL}_rejected"].count_documents({}) == 1


def test_old_good_day_stays_readable_until_the_new_load_completes(db, tmp_path):
    _load(db, _write(tmp_path / "v1.log", [_event(i) for i in range(300)]), sha="1" * 64)
    seen_during_load = []

    def observe(_line_no: int) -> None:
        seen_during_load.append(db[COLL].count_documents({"_edx.partition": "2026-10-05", "_edx.load": {
            "$regex": "^1111"}}))

    _load(db, _write(tmp_path / "v2.log", [_event(i) for i in range(500)]), sha="2" * 64, batch_size=100,
          progress=observe)
    assert seen_during_load and all(n == 300 for n in seen_during_load)
    assert db[COLL].count_documents({}) == 500


def test_documents_mongodb_refuses_are_quarantined_not_lost(db, tmp_path):
    deep: dict = {}
    node = deep
    for _ in range(210):  # BSON nesting deeper than mongod accepts (its limit is 200)
        node["a"] = {}
        node = node["a"]
    path = _write(tmp_path / "day.log", [_event(1), orjson.dumps({"event": deep}), _event(2)])
    result = _load(db, path)
    assert result.stored == 2 and result.rejected == 1
    reason = db[f"{COLL}_rejected"].find_one()["reason"]
    assert reason.startswith("MongoDB refused the document")


def test_stored_documents_have_no_key_mongodb_cannot_index(db, tmp_path):
    path = _write(tmp_path / "day.log", [_event(1, event={"POST": {"a.b": 1, "$x": {"c.d": 2}}})])
    _load(db, path)

    def keys(value):
        if isinstance(value, dict):
            for k, v in value.items():
                yield k
                yield from keys(v)
        elif isinstance(value, list):
            for v in value:
                yield from keys(v)

    stored = db[COLL].find_one()
    assert not [k for k in keys(stored) if "." in k or k.startswith("$")]
    assert stored["event"]["POST"]["＄x"]["c．d"] == 2


def test_indexes_for_reports_exist(db, tmp_path):
    """Only the indexes a report, check or reload needs are built by default (issue 17); the partial
    enrollment indexes serve enrollment_daily's query of all history and hold only enrollment events."""
    enrollment = orjson.dumps({"event_type": "edx.course.enrollment.activated", "time": "2026-10-05T10:00:00+00:00",
                               "context": {"course_id": "course-v1:A+B+C", "user_id": 7}, "event": {"mode": "audit"}})
    changed = orjson.dumps({"event_type": "edx.course.enrollment.mode_changed", "time": "2026-10-05T11:00:00+00:00",
                            "context": {"course_id": "course-v1:A+B+C", "user_id": 7}, "event": {"mode": "verified"}})
    _load(db, _write(tmp_path / "d.log", [_event(1), enrollment, changed, _event(2)]))
    assert set(db[COLL].index_information()) == {"_id_", "partition_load", "enrollment_events",
                                                 "enrollment_mode_changes"}
    stats = db.command("collStats", COLL, indexDetails=False)
    assert stats["nindexes"] == 4
    query = {"_edx.event_type": {"$in": ["edx.course.enrollment.activated", "edx.course.enrollment.deactivated"]},
             "_edx.time": {"$lt": datetime(2027, 1, 1)}, "_edx.course_id": {"$ne": None}}
    plan = db[COLL].find(query).explain()["queryPlanner"]["winningPlan"]
    assert plan["inputStage"]["indexName"] == "enrollment_events", plan
    assert db[COLL].count_documents(query, hint="enrollment_events") == 1  # only the enrollment event is in it
    # enrollment_daily's query: each branch of its $or is served by one of the two partial indexes
    until = datetime(2027, 1, 1)
    both = {"$or": [{"_edx.event_type": {"$in": ["edx.course.enrollment.activated",
                                                 "edx.course.enrollment.deactivated"]}, "_edx.time": {"$lt": until}},
                    {"_edx.event_type": "edx.course.enrollment.mode_changed", "_edx.time": {"$lt": until}}],
            "_edx.course_id": {"$ne": None}}
    plan = str(db[COLL].find(both).explain()["queryPlanner"]["winningPlan"])
    assert set(re.findall(r"'indexName': '(\w+)'", plan)) == {"enrollment_events", "enrollment_mode_changes"}, plan
    assert "COLLSCAN" not in plan
    assert db[COLL].count_documents(both) == 2


def test_opt_in_indexes_are_built_after_a_load_and_dropped_when_no_longer_listed(db, tmp_path):
    path = _write(tmp_path / "d.log", [_event(1), _event(2)])
    _load(db, path)
    db[COLL].create_index("time_of_mine_x", name="analyst_own")  # not ours: never dropped
    db[COLL].create_index("_edx.time", name="time")  # as an older release built by default
    wanted = ["course_time", "context.org_id+_edx.time:-1"]
    assert event_indexes.drop_unwanted_indexes(db[COLL], wanted) == ["time"]
    assert event_indexes.build_extra_indexes(db[COLL], wanted) == ["course_time", "extra:context.org_id:1+_edx.time:-1"]
    info = db[COLL].index_information()
    assert info["course_time"]["key"] == [("_edx.course_id", 1), ("_edx.time", 1)]
    assert info["extra:context.org_id:1+_edx.time:-1"]["key"] == [("context.org_id", 1), ("_edx.time", -1)]
    assert event_indexes.build_extra_indexes(db[COLL], wanted) == []  # already there
    assert event_indexes.drop_unwanted_indexes(db[COLL], []) == ["course_time", "extra:context.org_id:1+_edx.time:-1"]
    assert set(db[COLL].index_information()) == {"_id_", "partition_load", "enrollment_events", "enrollment_mode_changes",
                                                 "analyst_own"}
    with pytest.raises(ValueError, match="EDX_EVENTS_EXTRA_INDEXES"):
        event_indexes.extra_index("course:2")


def test_several_parse_processes_store_the_same_documents_as_one(db, tmp_path, monkeypatch):
    """EDX_EVENTS_PARSERS: the file cut into parts (small parts here, so that each process gets several,
    with blank, malformed and prefixed lines on both sides of the cuts) numbers every line as one process."""
    lines = []
    for i in range(600):
        lines.append(_event(i))
        if i % 97 == 0:
            lines += [b"", b"  "]
        if i % 101 == 0:
            lines.append(b'{"truncated": "li')
        if i % 103 == 0:
            lines.append(b"2023-05-23 13:53:13,461 INFO 20 [tracking] logger.py:41 - " + _event(i))
    path = _write(tmp_path / "day.log", lines)
    monkeypatch.setattr(parse_pipeline, "PART_BYTES", 4096)
    assert len(parse_pipeline.file_parts(path)) > 6
    results, stored = [], []
    for parsers in (1, 3):
        result = _load(db, path, partition=f"2026-10-0{parsers}", parsers=parsers, batch_size=50)
        docs = list(db[COLL].find({"_edx.partition": f"2026-10-0{parsers}"}, {"_id": 0, "_edx.partition": 0}).sort(
            "_edx.line"))
        rejected = list(db[f"{COLL}_rejected"].find({"partition": f"2026-10-0{parsers}"},
                                                    {"_id": 0, "line": 1, "reason": 1}).sort("line"))
        results.append((result.inserted, result.rejected, result.blank_lines, result.prefixed, result.lines, rejected))
        stored.append(docs)
    assert results[0] == results[1] and stored[0] == stored[1]
    with path.open("rb") as handle:  # line numbers as the file has them
        numbered = {n: raw for n, raw in enumerate(handle, start=1)}
    assert all(orjson.loads(numbered[d["_edx"]["line"]])["username"] == d["username"]
               for d in stored[1] if numbered[d["_edx"]["line"]].startswith(b"{"))
    assert results[1][0] == 600 + len(range(0, 600, 103)) and results[1][3] == len(range(0, 600, 103))


def test_a_parse_process_killed_mid_load_fails_the_load_and_the_rerun_completes_it(db, tmp_path, monkeypatch):
    """As when the kernel's out-of-memory killer ends the parse process: the load fails at once instead of
    waiting forever, and the re-run stores every line once."""
    import os
    import signal

    path = _write(tmp_path / "day.log", [_event(i) for i in range(3000)])
    started = []

    class Recorded(parse_pipeline._in_child_processes):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(event_load, "_in_child_processes", Recorded)
    monkeypatch.setattr(parse_pipeline, "PARSER_CHECK_SECONDS", 0.2)

    def kill_the_parser(_line: int) -> None:
        for process in started[0].processes:
            if process.is_alive():
                os.kill(process.pid, signal.SIGKILL)

    with pytest.raises(RuntimeError, match="parse process stopped"):
        _load(db, path, pipelined=True, batch_size=50, progress=kill_the_parser)
    again = _load(db, path, pipelined=True, batch_size=50)
    assert again.stored == 3000 and db[COLL].count_documents({}) == 3000


# ---- the real public sample logs ----------------------------------------------------------------

def _fixture_logs() -> list[Path]:
    files = sorted(FIXTURES.rglob("*.log")) + sorted(FIXTURES.rglob("*.jsonl"))
    files += sorted((FIXTURES / "paepcke__json_to_relation").rglob("*.json"))
    files += sorted((FIXTURES / "DiscourseDB__discoursedb-core").rglob("*.json"))
    return files


def _oracle(line: bytes) -> str:
    """blank / valid / rejected, decided with the standard library's json (not the loader's parser)."""
    text = line.strip()
    if not text:
        return "blank"
    start = text.find(b"{")
    if start < 0 or text[:start].lstrip()[:1] in (b"[", b'"'):
        return "rejected"
    try:
        return "valid" if isinstance(json.loads(text[start:].decode("utf-8")), dict) else "rejected"
    except (ValueError, UnicodeDecodeError):
        return "rejected"


def test_public_fixtures_are_present():
    assert len(_fixture_logs()) >= 40, f"expected the public sample logs under {FIXTURES}"


@pytest.mark.parametrize("path", _fixture_logs(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_public_sample_logs_every_line_stored_or_quarantined(db, path):
    expected = {"blank": 0, "valid": 0, "rejected": 0}
    with path.open("rb") as handle:
        for line in handle:
            expected[_oracle(line)] += 1
    result = _load(db, path)
    assert (result.stored, result.rejected, result.blank) == (
        expected["valid"], expected["rejected"], expected["blank"])
    assert db[COLL].count_documents({}) == expected["valid"]
    assert db[f"{COLL}_rejected"].count_documents({}) == expected["rejected"]
    assert _expand(result.blank_lines) == _blank_positions(path)


def test_pipelined_and_in_process_loads_store_identical_documents(db, mongo_client, tmp_path):
    lines = [_event(i) for i in range(3000)] + [b"oops", b'{"deep": ' * 3 + b"1" + b"}" * 3]
    path = _write(tmp_path / "day.log", lines)
    other = mongo_client[db.name + "_pipe"]
    try:
        a = _load(db, path, pipelined=False, batch_size=500)
        b = _load(other, path, pipelined=True, batch_size=500)
        assert (a.stored, a.rejected) == (b.stored, b.rejected) == (3001, 1)
        assert list(db[COLL].find().sort("_id")) == list(other[COLL].find().sort("_id"))
        assert list(db[f"{COLL}_rejected"].find().sort("_id")) == list(other[f"{COLL}_rejected"].find().sort("_id"))
    finally:
        mongo_client.drop_database(db.name + "_pipe")


def test_a_crash_with_the_parser_in_another_process_stops_it(db, tmp_path):
    path = _write(tmp_path / "day.log", [_event(i) for i in range(5000)])

    def crash(_line: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _load(db, path, pipelined=True, batch_size=100, progress=crash)
    import multiprocessing

    assert multiprocessing.active_children() == []


def test_a_crash_stops_the_parser_even_where_sigterm_is_ignored(db, tmp_path):
    """Dagster maps SIGTERM to SIGINT's handler, and a background shell ignores SIGINT: in such a process
    SIGTERM is ignored, and so in the parse processes it starts. A crash must still stop them."""
    import multiprocessing
    import signal

    path = _write(tmp_path / "day.log", [_event(i) for i in range(5000)])

    def crash(_line: int) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with pytest.raises(KeyboardInterrupt):
            _load(db, path, pipelined=True, batch_size=100, progress=crash)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert multiprocessing.active_children() == []
