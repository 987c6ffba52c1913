"""The sample world has the shapes of real courses (docs/sample-world.md): each published figure, measured on
a world of 2,000 learners, from its enrollments and from the raw lines of its event files (json module)."""

import json
from collections import Counter
from datetime import date, timedelta
from statistics import median

from edx_assets.local.sample_events import DayTruth, EventWriter
from edx_assets.local.sample_world import SampleSpec, SampleWorld

WORLD = SampleWorld(SampleSpec(start=date(2026, 9, 1), end=date(2026, 11, 30), learners=2000, events_per_day=1))
LEARNERS = [e for e in WORLD.enrollments if not e.learner.is_staff]


def test_a_third_never_start_and_half_of_the_others_are_gone_within_two_weeks():
    """34.8% of registrations never engaged (Ho et al. 2014); about 50% of learners left within a week or two,
    then fewer left each week (MIT News on the same report). Measured on the enrollments made in the first
    month, which the world follows for two months at least."""
    early = [e for e in LEARNERS if WORLD.spec.start <= e.created.date() < WORLD.spec.start + timedelta(days=30)
             and e.unenrolled is None]
    never = sum(not e.visits for e in early) / len(early)
    assert 0.31 < never < 0.39, never
    started = [e for e in early if e.visits]
    span = [(max(v.day for v in e.visits) - e.created.date()).days for e in started]
    within_two = sum(d < 14 for d in span) / len(started)
    assert 0.42 < within_two < 0.58, within_two
    gone_week3 = sum(14 <= d < 21 for d in span) / sum(d >= 14 for d in span)
    assert gone_week3 < within_two / 2  # attrition slows after the first two weeks


def test_few_are_verified_and_the_free_track_before_2016_was_honor():
    """Verified: 2.7% of enrollments and 4.7% of starters in 2017-18 (Reich & Ruipérez-Valiente 2019); no free
    honor certificates after 2016 (Despujol et al. 2017)."""
    modes = Counter(e.mode for e in LEARNERS)
    assert 0.03 < modes["verified"] / len(LEARNERS) < 0.07, modes
    for course in WORLD.courses:
        mine = Counter(e.mode for e in LEARNERS if e.course is course)
        before_2016 = course.cid.run[:4].isdigit() and int(course.cid.run[:4]) < 2016
        assert (mine["honor"] > mine["verified"] and not mine["audit"]) if before_2016 else not mine["honor"], mine


def test_countries_lead_with_colombia_mexico_and_spain_and_a_third_use_the_app():
    """Colombia, Mexico and Spain lead a Spanish-language partner's learners (registration IPs, by the
    blocks' countries as the offline database places them); a third of Latin American learners are mobile
    (World Bank, 2015), and their app views arrive in the event files as `edx.video.played` from mobile."""
    from edx_assets.edx.geo import GeoLocator

    geo = GeoLocator()
    places = Counter(geo.locate(learner.ip).country_code for learner in WORLD.learners if not learner.is_staff)
    assert [code for code, _ in places.most_common(3)] == ["CO", "MX", "ES"], places.most_common(5)
    mobile = sum(learner.mobile for learner in WORLD.learners) / len(WORLD.learners)
    assert 0.30 < mobile < 0.37
    lines = _lines(date(2026, 10, 1), date(2026, 10, 7))
    app = {e["username"] for e in lines if e["event_source"] == "mobile"}
    users = {e["username"] for e in lines if e["event_type"] in {"play_video", "edx.video.played"}}
    assert app and app < users and 0.15 < len(app) / len(users) < 0.40


def test_viewers_finish_short_videos_more_often_and_some_leave_at_once():
    """Most viewers finish videos under 6 minutes, fewer the longer ones (Guo, Kim & Rubin 2014; Kim et al.
    2014), and some leave within the first half minute: where each browser viewing ended, from the raw
    lines (a stop at the end, or the last pause)."""
    ended: dict[tuple, tuple[float, float]] = {}
    for e in _lines(date(2026, 10, 1), date(2026, 10, 14)):
        if e["event_type"] in {"stop_video", "pause_video"}:
            payload = json.loads(e["event"])
            ended[(e["username"], payload["id"])] = (payload["currentTime"], payload["duration"])
    shares = [(duration, position / duration) for position, duration in ended.values()]
    short = [s for d, s in shares if d <= 240]
    long = [s for d, s in shares if d >= 330]

    def finished(group: list[float]) -> float:
        return sum(s >= 0.999 for s in group) / len(group)

    assert 0.6 < finished(short) < 0.8 and 0.45 < finished(long) < finished(short) - 0.05
    at_once = sum(s < 30 / d for d, s in shares) / len(shares)
    assert 0.07 < at_once < 0.17 and median(s for _, s in shares) == 1.0


def _lines(first: date, last: date) -> list[dict]:
    writer, out = EventWriter(WORLD), []
    day = first
    while day <= last:
        for raw in writer.lines(day, DayTruth(str(day))):
            start = raw.find(b"{")
            try:
                event = json.loads(raw[start:])
            except ValueError:
                continue
            if isinstance(event, dict):
                out.append(event)
        day += timedelta(days=1)
    return out
