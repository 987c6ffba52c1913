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


def test_list_answers_read_as_a_b_and_a_malformed_payload_counts_as_a_check_without_parts(db, tmp_path):
    lines = [
        # checkboxes: a list answer; the second part has no correct_map entry and no submission
        _check("2026-10-05T10:00:00+00:00", {"p1_2_1": ["choice_0", "choice_2"], "p1_3_1": "7"},
               {"p1_2_1": {"correctness": "incorrect"}},
               {"p1_2_1": {"question": "¿Cuáles?", "variant": 2}}),
        # answers cut to a string and correct_map a list: the day must still compute
        _check("2026-10-05T10:05:00+00:00", "p1_2_1=choice_1", ["x"]),
    ]
    path = tmp_path / "day.log"
    path.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    event_load.load_events(db, path, collection="Eventos", partition=DAY,
                           sha256=hashlib.sha256(path.read_bytes()).hexdigest(), source_name=path.name)
    [row] = ld.compute(ld.read_day(db, "Eventos", DAY), DAY).to_dicts()
    assert row["nproblem_check"] == 2  # both checks count
    parts = {a["part"]: a for a in row["answer_detail"]}
    assert set(parts) == {"p1_2_1", "p1_3_1"}  # the malformed one adds no part
    assert parts["p1_2_1"]["first_value"] == "[choice_0|choice_2]" and parts["p1_2_1"]["first_correct"] is False
    assert parts["p1_2_1"]["question"] == "¿Cuáles?" and parts["p1_2_1"]["first_variant"] == "2"
    # No correct_map entry: not graded correct (edX grades every part it receives; a missing one is not right)
    assert parts["p1_3_1"]["first_value"] == "7" and parts["p1_3_1"]["first_correct"] is False
    assert parts["p1_3_1"]["question"] is None and parts["p1_3_1"]["first_variant"] is None
