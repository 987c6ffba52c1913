"""The last-modified cursor of the S3 arrival sensors (pure logic)."""

from datetime import UTC, datetime, timedelta

from edx_assets.edx.arrivals import new_arrivals

T0 = datetime(2026, 10, 5, 20, 0, tzinfo=UTC)


def obj(key: str, etag: str, minutes: int) -> dict:
    return {"Key": key, "ETag": f'"{etag}"', "LastModified": T0 + timedelta(minutes=minutes)}


def test_first_look_sees_everything_oldest_first():
    fresh, cursor = new_arrivals([obj("b", "1", 5), obj("a", "1", 1)], None)
    assert [a.key for a in fresh] == ["a", "b"]
    assert cursor == {"last_modified": (T0 + timedelta(minutes=5)).isoformat(), "seen": ["b@1"]}


def test_nothing_is_requested_twice():
    objects = [obj("a", "1", 1), obj("b", "1", 5)]
    _, cursor = new_arrivals(objects, None)
    fresh, again = new_arrivals(objects, cursor)
    assert fresh == [] and again == cursor


def test_a_late_day_whose_key_sorts_first_is_not_missed():
    _, cursor = new_arrivals([obj("2026-10-05", "1", 1)], None)
    fresh, _ = new_arrivals([obj("2026-10-01", "1", 9), obj("2026-10-05", "1", 1)], cursor)
    assert [a.key for a in fresh] == ["2026-10-01"]


def test_a_changed_object_is_seen_again():
    _, cursor = new_arrivals([obj("a", "1", 1)], None)
    fresh, _ = new_arrivals([obj("a", "2", 3)], cursor)
    assert [(a.key, a.etag) for a in fresh] == [("a", "2")]


def test_objects_sharing_the_cursors_timestamp():
    _, cursor = new_arrivals([obj("a", "1", 1)], None)
    fresh, cursor2 = new_arrivals([obj("a", "1", 1), obj("b", "1", 1)], cursor)
    assert [a.key for a in fresh] == ["b"]
    assert cursor2["seen"] == ["a@1", "b@1"]


def test_empty_bucket_keeps_the_cursor():
    cursor = {"last_modified": T0.isoformat(), "seen": ["a@1"]}
    assert new_arrivals([], cursor) == ([], cursor)
