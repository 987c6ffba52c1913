"""Tracking-log lines of the sample world, with the quirks of real edX logs, generated as a stream."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from urllib.parse import quote

import orjson

from edx_assets.local.sample_world import Course, Enrollment, SampleWorld, Visit, _rng

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
]
MOBILE_AGENT = "edX/org.edx.mobile (4.2.0; OS Version 14; Model SM-A515F)"


@dataclass
class DayTruth:
    """What the generator wrote into one day's file (the ground truth tests compare with)."""

    day: str
    lines: int = 0
    valid: int = 0
    rejected: int = 0
    late_mobile: int = 0
    prefixed: int = 0
    by_type: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {
            "day": self.day, "lines": self.lines, "valid": self.valid, "rejected": self.rejected,
            "late_mobile": self.late_mobile, "prefixed": self.prefixed, "by_type": dict(self.by_type),
        }


def _iso(moment: datetime, micro: bool = True) -> str:
    if micro:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


class EventWriter:
    """Builds the events of one day of the sample world."""

    def __init__(self, world: SampleWorld) -> None:
        self.world = world
        self.org = world.spec.org

    @cached_property
    def visits_by_day(self) -> dict[date, list[tuple[Enrollment, Visit]]]:
        index: dict[date, list[tuple[Enrollment, Visit]]] = {}
        for enrollment in self.world.enrollments:
            for visit in enrollment.visits:
                index.setdefault(visit.day, []).append((enrollment, visit))
        return index

    @cached_property
    def enrollments_by_day(self) -> dict[date, list[Enrollment]]:
        index: dict[date, list[Enrollment]] = {}
        for enrollment in self.world.enrollments:
            index.setdefault(enrollment.created.date(), []).append(enrollment)
        return index

    @cached_property
    def unenrollments_by_day(self) -> dict[date, list[Enrollment]]:
        index: dict[date, list[Enrollment]] = {}
        for enrollment in self.world.enrollments:
            if enrollment.unenrolled:
                index.setdefault(enrollment.unenrolled, []).append(enrollment)
        return index

    # -- one event -------------------------------------------------------------------------------

    def _base(self, enrollment: Enrollment | None, course: Course | None, event_type: str, source: str,
              event: object, moment: datetime, page: str | None, rng: random.Random) -> dict:
        learner = enrollment.learner if enrollment else None
        path = page.split("courses.edx.org", 1)[-1] if page else "/event"
        context: dict = {
            "course_id": course.course_id if course else "",
            "org_id": course.cid.org if course else "",
            "path": path,
            "user_id": learner.user_id if learner else None,
        }
        return {
            "username": learner.username if learner else "",
            "event_type": event_type,
            "name": event_type,
            "event_source": source,
            "event": event,
            "context": context,
            "time": _iso(moment, micro=rng.random() > 0.05),
            "ip": learner.ip_on(moment.date()) if learner else f"181.49.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "agent": rng.choice(AGENTS),
            "host": "courses.edx.org",
            "session": hashlib.md5(f"{learner.user_id if learner else 0}{moment.date()}".encode()).hexdigest(),
            "page": page,
            "referer": "https://courses.edx.org/dashboard",
            "accept_language": "es-419,es;q=0.9,en;q=0.8",
        }

    def _page(self, course: Course, unit_id: str) -> str:
        chapter = course.chapter_of[unit_id]
        return f"https://courses.edx.org/courses/{course.course_id}/courseware/{chapter.rsplit('@', 1)[-1].rsplit('/', 1)[-1]}/"

    def _visit_events(self, enrollment: Enrollment, visit: Visit, *, mobile_only: bool) -> Iterator[dict]:
        course = enrollment.course
        unit = course.units[visit.unit_index]
        rng = _rng(self.world.spec.seed, "visit", enrollment.enrollment_id, visit.unit_index)
        moment = datetime.combine(visit.day, datetime.min.time()) + timedelta(seconds=rng.randrange(600, 80000))
        mobile = self.world.on_mobile(enrollment, visit)
        if mobile_only:
            if mobile:
                event = self._base(enrollment, course, "edx.video.played", "mobile",
                                   {"id": unit.block_id.rsplit("@", 1)[-1], "currentTime": 0,
                                    "code": "mobile", "duration": course.video_duration(unit.block_id)},
                                   moment, None, rng)
                event["ip"] = ""
                event["agent"] = MOBILE_AGENT
                event["context"]["received_at"] = _iso(moment + timedelta(days=1, seconds=60))
                event["context"]["application"] = {"name": "edx.mobileapp.android", "version": "4.2.0"}
                event["page"] = None
                yield event
            return
        page = self._page(course, unit.block_id)
        yield self._base(enrollment, course, "seq_goto", "browser",
                         orjson.dumps({"old": 1, "new": 2, "id": unit.block_id}).decode(), moment, page, rng)
        moment += timedelta(seconds=5)
        short = unit.block_id.rsplit("@", 1)[-1].rsplit("/", 1)[-1]
        if unit.category == "video" and not mobile:
            # Played from the start until the viewer stops (SampleWorld.watched_until); one who goes further
            # than 131.5 s got there after 60 s of wall clock (a skip: counted up to the player's top speed,
            # 120 s), then played on in real time, to the end (stop) or to where they left (pause).
            duration = course.video_duration(unit.block_id)
            until = self.world.watched_until(enrollment, visit)
            if until <= 131.5:
                steps = [("load_video", 0, 5), ("play_video", 0, until), ("pause_video", until, 40)]
            else:
                steps = [("load_video", 0, 5), ("play_video", 0, 60), ("pause_video", 131.5, 40),
                         ("play_video", 131.5, until - 131.5),
                         ("stop_video", duration, 0) if until >= duration else ("pause_video", until, 0)]
            for kind, position, wait in steps:
                payload = {"id": short, "currentTime": position, "code": "html5", "duration": duration}
                yield self._base(enrollment, course, kind, "browser", orjson.dumps(payload).decode(),
                                 moment, page, rng)
                moment += timedelta(seconds=wait)
        elif unit.category == "problem":
            parts = course.problem_parts(unit.block_id)
            seed = 1 + enrollment.learner.user_id % 3 if course.randomized(unit.block_id) else 1
            for attempt in range(1, visit.attempts + 1):
                correct = visit.correct if attempt == 1 else (attempt == visit.attempts)
                answers = {part: _answer(part, correct, enrollment, visit, attempt) for part in parts}
                yield self._base(enrollment, course, "problem_check", "browser",
                                 "&".join(f"{quote('input_' + p)}={quote(str(a))}" for p, a in answers.items()),
                                 moment, page, rng)
                server_event = {
                    "answers": answers,
                    "attempts": attempt,
                    "correct_map": {p: {"correctness": "correct" if correct else "incorrect",
                                        "npoints": None, "msg": "", "hint": ""} for p in parts},
                    "grade": len(parts) if correct else 0,
                    "max_grade": len(parts),
                    "problem_id": unit.block_id,
                    "success": "correct" if correct else "incorrect",
                    "state": {"student_answers": {}, "seed": seed, "done": None},
                    "submission": {p: {"question": _question(p), "answer": _answer_text(answers[p]),
                                       "correct": correct, "response_type": _response_type(p),
                                       "input_type": "choicegroup" if p.endswith("_2_1") else "formulaequationinput",
                                       "variant": seed if course.randomized(unit.block_id) else ""} for p in parts},
                }
                event = self._base(enrollment, course, "problem_check", "server", server_event, moment, page, rng)
                event["context"]["module"] = {"display_name": unit.display_name, "usage_key": unit.block_id}
                event["page"] = "x_module"
                yield event
                moment += timedelta(seconds=30)
            if not visit.correct and rng.random() < 0.5:
                yield self._base(enrollment, course, "showanswer", "server",
                                 {"problem_id": unit.block_id}, moment, page, rng)
        else:
            # An implicit event: the event type is the URL path; POST keys hold dots and `$`.
            path = f"/courses/{course.course_id}/xblock/{unit.block_id}/handler/xmodule_handler/goto_position"
            yield self._base(enrollment, course, path, "server",
                             {"POST": {"position": ["2"], "data.section": ["1.2"], "$where": ["x"]}, "GET": {}},
                             moment, page, rng)
            if unit.category == "html" and visit.unit_index % 4 == 2:
                yield self._base(enrollment, course, "edx.forum.thread.created", "server",
                                 {"id": forum_oid(enrollment, visit), "title": f"Pregunta {visit.unit_index}",
                                  "body": "¿Alguien más tiene dudas con esta unidad?", "category_id": "general",
                                  "commentable_id": "course", "anonymous": False},
                                 moment + timedelta(seconds=20), page, rng)
            elif unit.category == "html" and visit.unit_index % 4 == 1:  # a response to the welcome thread, + a vote
                yield self._base(enrollment, course, "edx.forum.response.created", "server",
                                 {"id": forum_oid(enrollment, visit), "discussion": {"id": welcome_oid(course, "thread")},
                                  "body": "Gracias, empiezo hoy.", "commentable_id": "course"},
                                 moment + timedelta(seconds=20), page, rng)
                yield self._base(enrollment, course, "edx.forum.thread.voted", "server",
                                 {"id": welcome_oid(course, "thread"), "vote_value": "up", "undo_vote": False,
                                  "commentable_id": "course"}, moment + timedelta(seconds=25), page, rng)
            elif unit.category == "html" and visit.unit_index % 4 == 0:  # a comment on the welcome response
                yield self._base(enrollment, course, "edx.forum.comment.created", "server",
                                 {"id": forum_oid(enrollment, visit), "response": {"id": welcome_oid(course, "response")},
                                  "discussion": {"id": welcome_oid(course, "thread")}, "body": "De acuerdo.",
                                  "commentable_id": "course"}, moment + timedelta(seconds=20), page, rng)

    def _enrollment_event(self, enrollment: Enrollment, kind: str, moment: datetime) -> dict:
        rng = _rng(self.world.spec.seed, kind, enrollment.enrollment_id)
        course = enrollment.course
        event = self._base(enrollment, course, f"edx.course.enrollment.{kind}", "server",
                           {"course_id": course.course_id, "user_id": enrollment.learner.user_id,
                            "mode": enrollment.mode}, moment, None, rng)
        event["page"] = None
        return event

    def _filler(self, rng: random.Random, day: date, active: list[Enrollment]) -> dict:
        moment = datetime.combine(day, datetime.min.time()) + timedelta(seconds=rng.randrange(86400))
        if not active or rng.random() < 0.05:
            # Anonymous visitor: blank username, no course in context.
            event = self._base(None, None, "page_close", "browser", "", moment,
                               "https://courses.edx.org/courses/", rng)
            return event
        enrollment = rng.choice(active)
        course = enrollment.course
        unit = rng.choice(course.units)
        page = self._page(course, unit.block_id)
        kind = rng.random()
        if kind < 0.4:
            return self._base(enrollment, course, "seq_next", "browser",
                              orjson.dumps({"old": 1, "new": 2, "id": unit.block_id}).decode(), moment, page, rng)
        if kind < 0.7:
            path = f"/courses/{course.course_id}/courseware/"
            event = self._base(enrollment, course, path, "server", {"POST": {}, "GET": {}}, moment, page, rng)
            if rng.random() < 0.3:  # context without course id: the course comes from the URL only
                event["context"]["course_id"] = ""
            return event
        return self._base(enrollment, course, "edx.ui.lms.link_clicked", "browser",
                          {"current_url": page, "target_url": "https://www.edx.org/"}, moment, page, rng)

    # -- one day ---------------------------------------------------------------------------------

    def lines(self, day: date, truth: DayTruth) -> Iterator[bytes]:
        """The lines of `day`'s file (each ending in a newline), counting into `truth`."""
        spec = self.world.spec
        rng = _rng(spec.seed, "day", day)

        def emit(event: dict) -> bytes:
            truth.valid += 1
            truth.by_type[event["event_type"] if not event["event_type"].startswith("/") else "(url)"] += 1
            line = orjson.dumps(event)
            if rng.random() < 0.01:  # an old syslog prefix before the JSON object
                truth.prefixed += 1
                line = f"{day} 12:00:00,000 INFO 1234 [tracking] logger.py:41 - ".encode() + line
            return line + b"\n"

        for enrollment in self.enrollments_by_day.get(day, []):
            yield emit(self._enrollment_event(enrollment, "activated", enrollment.created))
        for enrollment in self.unenrollments_by_day.get(day, []):
            moment = datetime.combine(day, datetime.min.time()) + timedelta(hours=15)
            yield emit(self._enrollment_event(enrollment, "deactivated", moment))
        for enrollment, visit in self.visits_by_day.get(day, []):
            for event in self._visit_events(enrollment, visit, mobile_only=False):
                yield emit(event)
        # Mobile events of yesterday, received today: filed under today's date.
        for enrollment, visit in self.visits_by_day.get(day - timedelta(days=1), []):
            for event in self._visit_events(enrollment, visit, mobile_only=True):
                truth.late_mobile += 1
                yield emit(event)
        active = [e for e in self.world.enrollments
                  if e.created.date() <= day and e.is_active_at(day) and not e.learner.is_staff]
        for _ in range(max(1, spec.events_per_day // 200)):  # visitors who are not logged in
            yield emit(self._filler(rng, day, []))
        while truth.valid < spec.events_per_day:
            yield emit(self._filler(rng, day, active))
        for i in range(spec.malformed_per_day):
            truth.rejected += 1
            if i % 2 == 0:  # a line cut short, as when a log file was truncated mid-write
                yield orjson.dumps(self._filler(rng, day, active))[:57] + b"\n"
            else:  # valid JSON, but not an object
                yield b'["not", "an", "event"]\n'
        truth.lines = truth.valid + truth.rejected


def forum_oid(enrollment: Enrollment, visit: Visit) -> str:
    return hashlib.sha1(f"{enrollment.enrollment_id}-{visit.unit_index}".encode()).hexdigest()[:24]


def welcome_oid(course: Course, kind: str) -> str:
    """The instructor's welcome thread (and its first response) of a course."""
    return hashlib.sha1(f"welcome-{kind}-{course.cid.v1}".encode()).hexdigest()[:24]


_QUESTIONS = {"_2_1": "¿Cuál de estas opciones describe mejor el resultado?", "_3_1": "¿Cuántos años dura el programa?"}


def _question(part: str) -> str:
    return _QUESTIONS[part[-4:]]


def _response_type(part: str) -> str:
    return "multiplechoiceresponse" if part.endswith("_2_1") else "numericalresponse"


def _answer(part: str, correct: bool, enrollment: Enrollment, visit: Visit, attempt: int) -> str:
    """A part's answer: the right one, or one of two wrong ones (its own random stream)."""
    wrong = _rng("answer", enrollment.enrollment_id, visit.unit_index, attempt).random() < 0.5
    if part.endswith("_2_1"):
        return "choice_1" if correct else ("choice_0" if wrong else "choice_2")
    return "42" if correct else ("41" if wrong else "4.2")


def _answer_text(value: str) -> str:
    """The answer as the learner saw it (`submission.answer`): a choice's text, a number as typed."""
    return {"choice_0": "Ninguna", "choice_1": "La primera", "choice_2": "Ambas"}.get(value, value)
