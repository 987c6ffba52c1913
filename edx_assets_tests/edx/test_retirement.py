"""Learner retirement's domain code against a real mongod."""

import csv
from pathlib import Path

import polars as pl
import pytest

from edx_assets.edx import event_protection, retirement
from edx_assets.edx.privacy import StorePolicy
from edx_assets.edx.tracking_log import Rejection

pytestmark = pytest.mark.services  # real mongod


def _world(db) -> None:
    db.courses.insert_one({"_id": "course-v1:A+B+C", "prefix": "b_c"})
    db["b_c.users"].insert_many([
        {"id": 1, "username": "ana", "email": "ana@example.org"},
        {"id": 2, "username": "retired__user_9f2c", "email": "retired__user_9f2c@retired.invalid"},
        {"id": 3, "username": "luis", "email": "luis@example.org"}])
    for suffix, field in retirement.USER_FIELDS.items():
        if suffix != "users":
            db[f"b_c.{suffix}"].insert_many([{field: i, "n": i} for i in (1, 2, 3)])
    db["b_c.forum"].insert_many([
        {"_id": "t1", "author_id": "1", "votes": {"up": ["2", "3"], "down": []}},
        {"_id": "t2", "author_id": "2", "votes": {"up": [], "down": ["1"]}}])
    db.Eventos.insert_many([{"_edx": {"user_id": i}, "username": u} for i, u in ((1, "ana"), (2, "bea"), (3, "luis"))])
    for table in retirement.LEARNER_TABLES:
        db[table].insert_many([{"user_id": i} for i in (1, 2, 3)])


def test_retired_learners_are_found_and_every_trace_of_them_removed(db, tmp_path):
    _world(db)
    listed = tmp_path / "retired.txt"
    listed.write_text("# deletion requests\n3\n\n")
    ids = retirement.retired_in_packages(db) | retirement.read_file(listed)
    assert ids == {2, 3}
    assert retirement.remaining(db, ids)  # before: they are everywhere
    deleted = retirement.purge(db, ids)
    assert deleted["Eventos"] == 2 and deleted["b_c.courseware"] == 2 and deleted["b_c.forum"] == 1
    assert retirement.remaining(db, ids) == {}
    # the other learner is untouched, and keeps only the votes of learners still here
    assert db.Eventos.count_documents({}) == 1 and db["b_c.users"].find_one({})["id"] == 1
    assert all(db[f"b_c.{s}"].count_documents({}) == 1 for s in retirement.USER_FIELDS)
    assert db["b_c.forum"].find_one({"_id": "t1"})["votes"]["up"] == []


def test_a_line_that_is_not_a_user_id_is_refused_naming_file_and_line(tmp_path):
    listed = tmp_path / "retired.txt"
    listed.write_text("12\nana@example.org\n")
    with pytest.raises(ValueError, match=r"retired.txt, line 2"):
        retirement.read_file(Path(listed))
    listed.write_bytes(b"12\n\xff\xfe\n")
    with pytest.raises(ValueError, match=r"retired.txt: not UTF-8 text \(byte 3\)"):
        retirement.read_file(Path(listed))


def test_the_events_are_purged_once_and_each_days_load_record_counts_them(db):
    _world(db)
    db.Eventos.update_many({}, {"$set": {"_edx.partition": "2026-10-05"}})
    db["_edx_loads"].insert_one({"_id": "Eventos:2026-10-05", "stored": 3, "rejected": 2, "complete": True})
    db.Eventos_rejected.insert_many([{"partition": "2026-10-05", "raw": '{"context": {"user_id": 3, "pa'},
                                     {"partition": "2026-10-05", "raw": '{"context": {"user_id": 31'}])
    # learner 2 was purged from the events before: only learner 3's events are read this time
    deleted = retirement.purge(db, {2, 3}, event_ids={3})
    assert deleted["Eventos"] == 1 and db.Eventos.count_documents({"_edx.user_id": 2}) == 1
    record = db["_edx_loads"].find_one({"_id": "Eventos:2026-10-05"})
    assert (record["stored"], record["rejected"], record["retired"]) == (2, 1, 2)  # learner 31's line stays
    assert db.Eventos_rejected.count_documents({}) == 1
    assert retirement.remaining(db, {2, 3}, event_ids={3}) == {}
    assert retirement.remaining(db, {2, 3}) == {"Eventos": 1}  # the whole look finds what was left


def test_report_files_already_written_lose_the_retired_learners_rows_and_keep_the_others_text(tmp_path):
    week = tmp_path / "2026-10-11"
    week.mkdir()
    rows = [["user_id", "username", "note"], ["1", "ana", "a, b"], ["2", "bea", 'say "hi"'], ["3", "luis", ""]]
    with (week / "person_course.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    (week / "course_summary.csv").write_text("course_id,registered\r\nX,3\r\n", encoding="utf-8")
    (week / "parquet").mkdir()
    pl.DataFrame({"user_id": [1, 2, 3], "n": [5, 6, 7]}).write_parquet(week / "parquet" / "person_course.parquet")
    removed = retirement.clean_report_files(tmp_path, {2})
    assert removed == {"2026-10-11/person_course.csv": 1, "2026-10-11/parquet/person_course.parquet": 1}
    assert (week / "person_course.csv").read_bytes() == b'user_id,username,note\r\n1,ana,"a, b"\r\n3,luis,\r\n'
    assert (week / "course_summary.csv").read_bytes() == b"course_id,registered\r\nX,3\r\n"
    assert pl.read_parquet(week / "parquet" / "person_course.parquet")["user_id"].to_list() == [1, 3]


def test_a_load_keeps_no_text_of_a_retired_learners_quarantined_line():
    protection = event_protection.Protection(StorePolicy(), frozenset({3}))
    theirs = Rejection(7, "not valid JSON", '{"username": "luis", "context": {"user_id": "3", "cou', 52)
    other = Rejection(8, "not valid JSON", '{"username": "ana", "context": {"user_id": 33, "cou', 51)
    assert protection.rejection(theirs) == Rejection(7, "not valid JSON", "", 52)
    assert protection.rejection(other) == other
