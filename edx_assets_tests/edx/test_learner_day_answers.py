"""learner_day's answers on odd problem_check payloads, through the real loader into a real mongod."""

import hashlib
import json

import pytest

from edx_assets.edx import event_load
from edx_assets.edx import learner_day as ld

pytestmark = pytest.mark.services

DAY = "2026-10-05"


def _check(time: str, answers, correct_map, submission=None) -> dict:
    return {"username": "ana", "event_type": "problem_check", "event_source": "server", "time": time,
            "context": {"course_id": "course-v1:A+B+C", "user_id": 7}, "ip": "200.1.1.1", "agent": "Mozilla/5.0",
            "event": {"problem_id": "block-v1:A+B+C+type@problem+block@p1", "answers": answers,
                      "correct_map": correct_map, "attempts": 1, "grade": 0, "max_grade": 2, "success": "incorrect",
                      **({"submission": submission} if submission else {})}}


def _load_day(db, tmp_path, lines: list[dict]) -> dict:
    path = tmp_path / "day.log"
    path.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    event_load.load_events(db, path, collection="Eventos", partition=DAY,
                           sha256=hashlib.sha256(path.read_bytes()).hexdigest(), source_name=path.name)
    [row] = ld.compute(ld.read_day(db, "Eventos", DAY), DAY).to_dicts()
    return row


def test_list_answers_read_as_a_b_and_a_malformed_payload_counts_as_a_check_without_parts(db, tmp_path):
    row = _load_day(db, tmp_path, [
        # checkboxes: a list answer; a second input that the submission does not name (not a response part)
        _check("2026-10-05T10:00:00+00:00", {"p1_2_1": ["choice_0", "choice_2"], "p1_2_1_dynamath": "7"},
               {"p1_2_1": {"correctness": "incorrect"}},
               {"p1_2_1": {"question": "¿Cuáles?", "variant": 2, "answer": ["Ninguna", "Ambas"], "correct": False}}),
        # answers cut to a string and correct_map a list: the day must still compute
        _check("2026-10-05T10:05:00+00:00", "p1_2_1=choice_1", ["x"]),
    ])
    assert row["nproblem_check"] == 2  # both checks count
    parts = {a["part"]: a for a in row["answer_detail"]}
    assert set(parts) == {"p1_2_1"}  # the submission's parts only; the malformed check adds none
    part = parts["p1_2_1"]
    assert (part["first_value"], part["first_value_id"]) == ("[Ninguna|Ambas]", "[choice_0|choice_2]")
    assert part["first_correct"] is False and part["question"] == "¿Cuáles?" and part["first_variant"] == "2"


def test_an_older_check_without_submission_keeps_unknown_correctness_unknown(db, tmp_path):
    """Events before `submission` existed: the parts are the answers'; a part correct_map does not grade is
    unknown (null), never false."""
    row = _load_day(db, tmp_path, [
        _check("2026-10-05T10:00:00+00:00", {"p1_2_1": "choice_1", "p1_3_1": "7"},
               {"p1_2_1": {"correctness": "correct"}}),
    ])
    parts = {a["part"]: a for a in row["answer_detail"]}
    assert set(parts) == {"p1_2_1", "p1_3_1"}
    assert (parts["p1_2_1"]["first_value"], parts["p1_2_1"]["first_correct"]) == ("choice_1", True)
    assert (parts["p1_3_1"]["first_value"], parts["p1_3_1"]["first_correct"]) == ("7", None)
    assert parts["p1_3_1"]["question"] is None and parts["p1_3_1"]["first_variant"] is None


def test_part_ids_holding_dots_or_a_dollar_come_back_as_the_event_wrote_them(db, tmp_path):
    """Eventos stores `.` and a leading `$` in keys as full-width look-alikes; what leaves the platform gives
    the event's own part ids."""
    parts = {"q1.part2": {"question": "Q", "variant": "", "answer": "5", "correct": True},
             "$weird.id": {"question": "R", "variant": "", "answer": "x", "correct": False}}
    row = _load_day(db, tmp_path, [
        _check("2026-10-05T10:00:00+00:00", {"q1.part2": "5", "$weird.id": "x"},
               {"q1.part2": {"correctness": "correct"}, "$weird.id": {"correctness": "incorrect"}}, parts),
    ])
    stored = db["Eventos"].find_one()["event"]["answers"]
    assert set(stored) == {"q1\uff0epart2", "\uff04weird\uff0eid"}  # escaped where stored
    got = {a["part"]: (a["first_value"], a["first_correct"]) for a in row["answer_detail"]}
    assert got == {"q1.part2": ("5", True), "$weird.id": ("x", False)}
