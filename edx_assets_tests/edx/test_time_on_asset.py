"""learner_day's time on asset (module_time): the module each event happened in and the gaps between a
learner's consecutive events in that module, through the real loader into a real mongod. Expected values
are worked by hand from the events below."""

import hashlib
import json

import pytest

from edx_assets.edx import event_load
from edx_assets.edx import learner_day as ld

pytestmark = pytest.mark.services

DAY = "2026-10-05"
COURSE = "course-v1:A+B+C"


def _event(time: str, event_type: str, event: object = None, source: str = "browser", **extra) -> dict:
    return {"username": "ana", "event_type": event_type, "event_source": source, "time": f"{DAY}T{time}+00:00",
            "context": {"course_id": COURSE, "user_id": 7, **extra.pop("context", {})}, "ip": "200.1.1.1",
            "agent": extra.pop("agent", "Mozilla/5.0"), "event": event if event is not None else {}, **extra}


def _module_time(db, tmp_path, lines: list[dict]) -> dict[str, tuple[int, float, float]]:
    path = tmp_path / "day.log"
    path.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    event_load.load_events(db, path, collection="Eventos", partition=DAY,
                           sha256=hashlib.sha256(path.read_bytes()).hexdigest(), source_name=path.name)
    [row] = ld.compute(ld.read_day(db, "Eventos", DAY), DAY).to_dicts()
    return {m["module"]: (m["nevents"], m["time_5"], m["time_30"]) for m in row["module_time"]}


def test_each_event_is_filed_under_its_module_and_only_that_modules_gaps_count(db, tmp_path):
    page = f"https://courses.edx.org/courses/{COURSE}/courseware/week1/lesson2/"
    modules = _module_time(db, tmp_path, [
        # a video: played, paused 4 min later, played again 20 min after that (5-min cutoff drops it)
        _event("10:00:00", "play_video", json.dumps({"id": "vid1", "currentTime": 0}), page=page),
        _event("10:04:00", "pause_video", json.dumps({"id": "vid1", "currentTime": 240}), page=page),
        # a problem in between, named by the server event's context.module
        _event("10:10:00", "problem_check", {"problem_id": "block-v1:A+B+C+type@problem+block@p1"},
               source="server", context={"module": {"usage_key": "block-v1:A+B+C+type@problem+block@p1"}}),
        # then named only by the payload's problem_id (a check, and a show-answer)
        _event("10:12:30", "problem_check", {"problem_id": "block-v1:A+B+C+type@problem+block@p1"}, source="server"),
        _event("10:13:00", "showanswer", {"problem_id": "block-v1:A+B+C+type@problem+block@p1"}, source="server",
               page=page),
        _event("10:24:00", "play_video", json.dumps({"id": "vid1", "currentTime": 240}), page=page),
        # an implicit xblock call: the HTML unit named only by its handler URL
        _event("10:30:00", f"/courses/{COURSE}/xblock/block-v1:A+B+C+type@html+block@h1/handler/x", source="server"),
        # a page view: only the courseware URL (the sequential, the deepest level it names)
        _event("10:31:00", f"/courses/{COURSE}/courseware/week1/lesson2/", source="server", page=page),
        # mobile: a video only the app played, named by its usage key in context.module
        _event("11:00:00", "edx.video.played", {"id": "vid2", "currentTime": 0}, source="mobile", agent="edX/org.edx.mobile",
               context={"module": {"usage_key": "block-v1:A+B+C+type@video+block@vid2"}}),
        _event("11:02:00", "edx.video.paused", {"id": "vid2", "currentTime": 120}, source="mobile",
               agent="edX/org.edx.mobile", context={"module": {"usage_key": "block-v1:A+B+C+type@video+block@vid2"}}),
        # no module named anywhere: counts for no module
        _event("11:05:00", "edx.ui.lms.link_clicked", {"target_url": "https://www.edx.org/"}),
    ])
    assert modules == {
        "vid1": (3, 240.0, 240.0 + 1200.0),  # gaps 4 min and 20 min (the problem's events in between don't cut it)
        "p1": (3, 180.0, 180.0),
        "h1": (1, 0.0, 0.0),  # a lone event adds nothing (nothing follows it)
        "lesson2": (1, 0.0, 0.0),
        "vid2": (2, 120.0, 120.0),  # the module visited only on mobile
    }
