"""The peers' definitions, transcribed procedurally from their source (plain Python, the standard library and
numpy), to recompute expected values from raw events. Written the way the peers wrote them, not the way
the code under test computes them (polars expressions over MongoDB reads), so the two can disagree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import numpy

PLAYS = {"play_video", "edx.video.played"}
PAUSES = {"pause_video", "edx.video.paused"}
STOPS = {"stop_video", "edx.video.stopped"}
SEEKS = {"seek_video", "edx.video.position.changed"}
MAX_OFFSET = 3600 * 10.0  # video.py VIDEO_MAXIMUM_DURATION
MIN_VIEWING = 0.25  # video.py VIDEO_VIEWING_MINIMUM_LENGTH


def payload(event: dict) -> dict:
    """An event's payload as a dict: the tracking log sends it as an object or as JSON text."""
    value = event.get("event")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def block_name(block_id: object) -> str:
    """The block's own name in any id form (edx2bigquery's make_video_analysis: `-` read as `/`, `i4x/`
    dropped, the last part kept)."""
    text = str(block_id).strip()
    if text.startswith("i4x-"):
        return text.split("-", 4)[4]
    return text.replace("@", "/").rsplit("/", 1)[-1]


def _offset(value: object) -> float | None:
    """video.py `_check_time_offset`: a float between 0 and 10 hours, else the event is dropped."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number or number in (float("inf"), float("-inf")) or number < 0 or number > MAX_OFFSET:
        return None
    return number


def viewings(events: Iterable[tuple[datetime, str, dict]]) -> list[tuple[float, float, datetime, datetime]]:
    """edx-analytics-pipeline video.py `UserVideoViewingTask.reducer` for one learner and one video: the
    (start offset, end offset, play time, closing time) of each viewing, from (time, event type, payload)
    in any order (sorted here by time, stable)."""
    out = []
    viewing = None  # (start offset, play time, duration)
    last_end = None  # (type, current time) of the event that ended the last viewing
    for when, kind, payload in sorted(events, key=lambda e: e[0]):
        if kind in SEEKS:
            current, old = _offset(payload.get("new_time")), _offset(payload.get("old_time"))
            if current is None or old is None:
                continue
        elif kind in PAUSES:
            current = _offset(payload.get("currentTime", 0))
            if current is None:
                continue
        elif kind in PLAYS | STOPS:
            current = _offset(payload.get("currentTime"))
            if current is None:
                continue
        else:
            continue
        if kind in PLAYS:
            start = last_end[1] if last_end is not None and last_end[0] in SEEKS else current
            duration = payload.get("duration")
            viewing = (start, when, float(duration) if duration else -1.0)
            last_end = None
            continue
        if viewing is None:
            continue  # 'Discard Event Outside Of Viewing'
        end = old if kind in SEEKS else current
        start, started, duration = viewing
        if not (duration > 0 and end > duration + 1) and end >= start and end - start >= MIN_VIEWING:
            out.append((start, end, started, when))
        viewing = None
        last_end = (kind, current)
    return out


def final_segment(users_per_segment: dict[int, int], dropoff_threshold: float = 0.05) -> int:
    """video.py `VideoUsageTask.get_final_segment`, as written there (0.05: the shipped configurations)."""
    final_segment = last_segment = max(users_per_segment.keys())
    last_segment_num_users = users_per_segment[last_segment]
    for segment in sorted(users_per_segment.keys(), reverse=True)[1:]:
        current_segment_num_users = users_per_segment.get(segment, 0)
        if last_segment_num_users <= current_segment_num_users * dropoff_threshold:
            final_segment = segment
            break
        last_segment_num_users = current_segment_num_users
    return final_segment


def high_range_start(values: list[float]) -> float | None:
    """module_engagement.py `ModuleEngagementSummaryMetricRangesDataTask.reducer`: the high range starts at
    numpy's 85th percentile when it differs from the 15th; otherwise there is no high range."""
    if not values:
        return None
    with numpy.errstate(invalid="ignore"):  # inf - inf between two infinite values: nan, as in the pipeline
        low, high = numpy.percentile(values, [15.0, 85.0])
    low = float("inf") if numpy.isnan(low) else float(low)
    high = float("inf") if numpy.isnan(high) else float(high)
    return None if low == high else high


def enrollment_states(events: Iterable[tuple[datetime, str, str]]) -> list[tuple[datetime, bool, str]]:
    """enrollments.py `DaysEnrolledForEvents` for one learner in one course: after each (time, event type,
    mode), whether the learner is enrolled and in which mode (the mode follows every event)."""
    enrolled, mode, out = False, "unknown", []
    for when, kind, event_mode in sorted(events, key=lambda e: e[0]):
        if kind.endswith(".activated"):
            enrolled = True
        elif kind.endswith(".deactivated"):
            enrolled = False
        mode = event_mode
        out.append((when, enrolled, mode))
    return out
