"""Line parsing and normalisation of tracking-log events (no database needed)."""

from datetime import UTC, datetime

import orjson
import pytest

from edx_assets.edx import tracking_log as tl


def _norm(obj: dict, line: int = 1) -> dict:
    return tl.normalize(obj, partition="2026-10-05", source_file="f.log", line=line, load_id="L")


def test_syslog_prefix_is_stripped():
    raw = b'2023-05-23 13:53:13,461 INFO 20 [tracking] [user None] logger.py:41 - {"name": "x", "time": "t"}\n'
    obj, reason, prefixed = tl.split_line(raw)
    assert reason is None and prefixed and obj == {"name": "x", "time": "t"}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"username": "a", "event_type": "play_vid', "truncated"),
        (b'["not", "an", "event"]', "array"),
        (b'[{"a": 1}]', "array"),
        (b'"just a string {x}"', "string"),
        (b"garbage without braces", "no JSON object"),
        (b'{"username": "\xff\xfe"}', "UTF-8"),
    ],
)
def test_lines_that_are_not_event_objects_are_rejected_with_a_reason(raw, reason):
    obj, why, _ = tl.split_line(raw)
    assert obj is None
    assert reason in why


def test_keys_with_dots_and_dollars_are_escaped_at_every_depth_values_untouched():
    doc = _norm({
        "event": {"POST": {"data.section": ["1.2"], "$where": ["x"], "ok": {"a.b": {"$c": 1}}}},
        "page": "https://x.org/a.b",
    })
    post = doc["event"]["POST"]
    assert post["data．section"] == ["1.2"]
    assert post["＄where"] == ["x"]
    assert post["ok"]["a．b"] == {"＄c": 1}
    assert doc["page"] == "https://x.org/a.b"
    assert tl.unescape_key("data．section") == "data.section"
    assert tl.unescape_key("＄where") == "$where"


def test_json_string_event_is_decoded_under_edx_and_kept_as_is():
    event = orjson.dumps({"id": "v1", "currentTime": 12.5, "a.b": 1}).decode()
    doc = _norm({"event_type": "play_video", "event": event})
    assert doc["event"] == event
    assert doc["_edx"]["event"] == {"id": "v1", "currentTime": 12.5, "a．b": 1}


def test_url_encoded_problem_check_is_parsed():
    doc = _norm({"event_type": "problem_check", "event": "input_abc_2_1%5B%5D=choice_0&input_abc_2_1%5B%5D=choice_2&input_x_2_1=7"})
    assert doc["_edx"]["event"] == {"input_abc_2_1[]": ["choice_0", "choice_2"], "input_x_2_1": "7"}


def test_event_cut_at_512_characters_stays_a_string_without_decoded_copy():
    doc = _norm({"event_type": "/courses/x", "event": '{"POST": {"a": ["' + "x" * 600})
    assert "event" not in doc["_edx"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-08-04T13:43:34.967980+00:00", datetime(2016, 8, 4, 13, 43, 34, 967980, tzinfo=UTC)),
        ("2016-08-04T13:43:34+00:00", datetime(2016, 8, 4, 13, 43, 34, tzinfo=UTC)),
        ("2016-08-04T13:43:34Z", datetime(2016, 8, 4, 13, 43, 34, tzinfo=UTC)),
        ("2016-08-04T15:43:34+02:00", datetime(2016, 8, 4, 13, 43, 34, tzinfo=UTC)),
        ("2016-08-04 13:43:34", datetime(2016, 8, 4, 13, 43, 34, tzinfo=UTC)),
        ("yesterday", None),
        (None, None),
    ],
)
def test_time_parsing(value, expected):
    assert tl.parse_time(value) == expected


def test_course_id_from_context_else_from_page_or_event_type():
    assert _norm({"context": {"course_id": "edX/DemoX/Demo_Course"}})["_edx"]["course_id"] == (
        "course-v1:edX+DemoX+Demo_Course"
    )
    assert _norm({"context": {"course_id": ""}, "page": "https://x/courses/course-v1:A+B+C/courseware/"})[
        "_edx"]["course_id"] == "course-v1:A+B+C"
    assert _norm({"event_type": "/courses/Education/EDUC115N/How_to_Learn_Math/modx/i4x://x/y"})["_edx"][
        "course_id"] == "course-v1:Education+EDUC115N+How_to_Learn_Math"
    assert _norm({"event_type": "page_close", "page": "https://x/dashboard"})["_edx"]["course_id"] is None


def test_user_id_from_context_or_event_and_name_preferred_over_event_type():
    doc = _norm({"name": "edx.video.played", "event_type": "play_video", "context": {"user_id": "42"}})
    assert doc["_edx"]["user_id"] == 42
    assert doc["_edx"]["event_type"] == "edx.video.played"
    doc = _norm({"event_type": "x", "context": {"user_id": None}, "event": {"user_id": 7}})
    assert doc["_edx"]["user_id"] == 7


def test_deterministic_id_and_source_line():
    doc = _norm({"a": 1}, line=17)
    assert doc["_id"] == "2026-10-05:L:17"
    assert doc["_edx"]["line"] == 17 and doc["_edx"]["file"] == "f.log"


def test_input_fields_named_like_ours_are_kept_renamed():
    doc = _norm({"_id": "abc", "_edx": {"x": 1}, "a": 1})
    assert doc["_id_input"] == "abc"
    assert doc["_edx_input"] == {"x": 1}
    assert doc["_edx"]["partition"] == "2026-10-05"


def test_rejected_raw_text_is_capped():
    rejection = tl.reject(3, b"x" * (tl.MAX_REJECTED_RAW + 10) + b"\n", "why")
    assert len(rejection.raw) == tl.MAX_REJECTED_RAW
    assert rejection.raw_bytes == tl.MAX_REJECTED_RAW + 10


def _public_fixture_events() -> list[bytes]:
    """Every event of the public sample files, one line each (pretty-printed JSON files compacted)."""
    from edx_assets_tests.support import FIXTURES

    lines = []
    for path in sorted(FIXTURES.rglob("*")):
        if path.suffix in (".log", ".jsonl"):
            lines += [raw for raw in path.read_bytes().splitlines() if raw.strip()]
        elif path.suffix == ".json":
            try:
                parsed = orjson.loads(path.read_bytes())
            except orjson.JSONDecodeError:
                continue
            lines += [orjson.dumps(item) for item in (parsed if isinstance(parsed, list) else [parsed])]
    return lines


ADVERSARIAL = [
    b'{"a.b": 1, "$c": {"d\\u0000e": [{"f.g": 2}]}, "time": "2016-08-04T15:43:34+02:00"}',
    b'{"event": "{\\"x.y\\": {\\"$z\\": 1}}", "context": {"course_id": "a/b/c"}, "time": " 2016-08-04 13:43:34 "}',
    b'{"event": "input_a.b=1&input_c=2&input_c=3&input_%24d=%C3%A9+x", "time": "bad", "_id": 5, "_edx": {"q": 1}}',
    b'{"event": {"k": {"$ref": 1, "ok$": 2}}, "context": {"received_at": "2016-08-04T13:43:34Z", "user_id": true}}',
    b'{"event": " {\\"a\\": 1} ", "page": "https://x/courses/course-v1:A+B+C/courseware", "time": "2016-08-04T13:43:34.9"}',
    b'{"context": {"course_id": {"not": "a string"}, "user_id": "\xc2\xb2", "path": ["x"]}, "event": {"user_id": "12"}}',
]


def test_the_loaders_encoding_is_the_documented_document_on_every_public_and_adversarial_event():
    """The loader encodes with BSON's own key check and escapes only the documents that need it
    (issue 17); what it stores must be byte for byte the BSON of `normalize`'s document."""
    import bson

    events = _public_fixture_events() + ADVERSARIAL
    checked = 0
    for line, raw in enumerate(events, start=1):
        obj, _, _ = tl.split_line(raw)
        if obj is None:  # (comment lines of the sample files; rejections are tested above)
            assert raw not in ADVERSARIAL
            continue
        checked += 1
        expected = bson.encode(tl.normalize(orjson.loads(orjson.dumps(obj)), partition="p", source_file="f",
                                            line=line, load_id="L"))
        assert tl.encode(obj, partition="p", source_file="f", line=line, load_id="L") == expected, raw
    assert checked > 100


def test_a_non_ascii_digit_user_id_is_no_user_id_not_a_failed_line():
    doc = _norm({"context": {"user_id": "²"}, "event": {"user_id": "12"}})
    assert doc["_edx"]["user_id"] == 12
    assert _norm({"context": {"user_id": "²"}})["_edx"]["user_id"] is None
