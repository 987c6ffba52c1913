"""at_risk_learners and engagement_segments: who needs a nudge this week."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pyarrow as pa
from pymongo.database import Database

from edx_assets.edx import learner_day as ld
from edx_assets.edx.reports import frames, roles
from edx_assets.edx.reports.courses import ReportCourse

INACTIVE_DAYS = 7
ACTIVITY = ["first_event", "last_event", "nevents"]  # what at_risk reads of learner_totals
AT_RISK_COLUMNS = ["course_id", "user_id", "username", "mode", "enrollment_date", "first_event", "last_event",
                   "days_inactive", "nevents", "grade", "passing_grade", "progress", "reasons"]
INACTIVE, BELOW_PASS = "inactive_7_days", "below_pass_mark_after_midpoint"


def _moment(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def sunday_start(until: date) -> datetime:
    """00:00 UTC of the week's Sunday: what "now" is for the week's report."""
    return datetime(until.year, until.month, until.day, tzinfo=UTC)


def past_midpoint(course: ReportCourse, at: datetime) -> bool | None:
    """Whether `at` is past the middle of the course's start..end; None when either date is unknown."""
    start, end = _moment(course.start), _moment(course.end)
    if start is None or end is None or end <= start:
        return None
    return at >= start + (end - start) / 2


def at_risk(course: ReportCourse, learners: pl.DataFrame, until: date) -> pl.DataFrame:
    """Enrolled (is_active), non-course-team learners at risk at the week's Sunday (00:00 UTC), with the
    reasons: `inactive_7_days`, active in the course before but no event in the 7 days before the Sunday;
    `below_pass_mark_after_midpoint`, past the course's midpoint (catalog start/end) with a certificate grade
    below the course's pass mark. A learner with no grade row, or a course with no pass mark or dates, is
    not judged on grade (counted in the asset's metadata instead: unknown, not failing).
    `learners` is the enrollment frame with the activity totals (first/last event, nevents)."""
    at = sunday_start(until)
    cutoff = (at - timedelta(days=INACTIVE_DAYS)).replace(tzinfo=None)
    mark, midpoint = course.passing_grade, past_midpoint(course, at)
    base = learners.filter((pl.col("is_active") == 1) & (pl.col("is_course_team") == 0))
    last = pl.col("last_event").dt.replace_time_zone(None)
    inactive = (pl.col("nevents") > 0) & (last < cutoff)
    below = (pl.col("grade") < mark).fill_null(False) if midpoint and mark is not None else pl.lit(False)
    reasons = pl.concat_list(pl.when(inactive).then(pl.lit(INACTIVE)), pl.when(below).then(pl.lit(BELOW_PASS))
                             ).list.drop_nulls().list.join(";")
    return base.with_columns(reasons.alias("reasons")).filter(pl.col("reasons") != "").with_columns(
        ((pl.lit(at.replace(tzinfo=None)) - last).dt.total_days()).alias("days_inactive"),
        pl.lit(mark, dtype=pl.Float64).alias("passing_grade"),
    ).sort("user_id").select(AT_RISK_COLUMNS)


SEGMENT_COLUMNS = ["course_id", "week", "user_id", "username", "days_active", "problem_attempts",
                   "problems_attempted", "problems_completed", "problem_attempts_per_completed", "videos_viewed",
                   "discussion_contributions", "active_previous_week", "segments"]
METRICS = ["problem_attempts", "problems_attempted", "problems_completed", "videos_viewed", "discussion_contributions"]
# edx-analytics-pipeline, module_engagement.py: the metrics whose high range makes a learner highly engaged
# (`ModuleEngagementUserSegmentDataTask.reducer` skips problem_attempts), and the percentiles of the ranges
# (`ModuleEngagementSummaryMetricRangesDataTask`: low below p15, high from p85 only when p15 != p85).
ENGAGED_METRICS = ["problems_attempted", "problems_completed", "videos_viewed", "discussion_contributions"]
LOW, HIGH = 15.0, 85.0
WEEK_DAYS = {"user_id": pa.int64(), "day": pa.string(), "nproblem_check": pa.int64(),
             "problem_detail": pa.list_(pa.struct([("problem", pa.string()), ("best_score", pa.float64())])),
             "video_detail": pa.list_(pa.struct([("video", pa.string()), ("plays", pa.int64())])),
             "nforum_threads": pa.int64(), "nforum_responses": pa.int64(), "nforum_comments": pa.int64()}


def week_metrics(db: Database, course: ReportCourse, until: date) -> pl.DataFrame:
    """Per learner: the module-engagement metrics of the 7 days before `until` and whether the learner was
    active the 7 days before those (the `learner_day` rows of 14 days: a bounded read)."""
    start, previous = (until - timedelta(days=7)).isoformat(), (until - timedelta(days=14)).isoformat()
    rows = frames.read(db, ld.COLLECTION, WEEK_DAYS,
                       {"course_id": course.course_id, "day": {"$gte": previous, "$lt": until.isoformat()}})
    this = rows.filter(pl.col("day") >= start)
    problems = frames.nested_rows(this, "problem_detail").group_by("user_id").agg(
        pl.col("problem").n_unique().alias("problems_attempted"),
        pl.col("problem").filter(pl.col("best_score") >= 1).n_unique().alias("problems_completed"))
    videos = frames.nested_rows(this, "video_detail").filter(pl.col("plays") > 0).group_by("user_id").agg(pl.col("video").n_unique().alias("videos_viewed"))
    week = this.group_by("user_id").agg(
        pl.col("day").n_unique().alias("days_active"), pl.col("nproblem_check").sum().alias("problem_attempts"),
        (pl.col("nforum_threads") + pl.col("nforum_responses") + pl.col("nforum_comments")).sum()
        .alias("discussion_contributions"))
    before = rows.filter(pl.col("day") < start).select("user_id").unique().with_columns(
        pl.lit(1).alias("active_previous_week"))
    return (week.join(problems, on="user_id", how="left").join(videos, on="user_id", how="left")
            .join(before, on="user_id", how="full", coalesce=True))


def high_range_start(values: pl.Series) -> float | None:
    """Where a metric's `high` range starts among the course's active learners: the 85th percentile (numpy's
    default linear interpolation, as the pipeline's `numpy.percentile`), or None when the 15th and 85th
    percentiles are equal (the pipeline then has no high range: one learner, or everyone tied)."""
    if values.len() == 0:
        return None
    with np.errstate(invalid="ignore"):  # inf - inf between two infinite values: nan, read as inf below
        low, high = np.percentile(values.cast(pl.Float64).to_numpy(), [LOW, HIGH])
    low, high = (float("inf") if math.isnan(v) else float(v) for v in (low, high))
    return None if low == high else high


def segments(course: ReportCourse, learners: pl.DataFrame, metrics: pl.DataFrame, week: str,
             include_team: bool = False) -> pl.DataFrame:
    """edx-analytics-pipeline's module engagement segments (module_engagement.py) per enrolled learner and
    week, the course team left out unless `include_team`:

    - `highly_engaged`: problems attempted, problems completed, videos viewed or discussion contributions in
      the metric's high range (`ModuleEngagementUserSegmentDataTask.reducer`);
    - `struggling`: problem attempts per completed problem in its high range (no problem completed: the
      pipeline's infinity, always in the range);
    - ranges (`ModuleEngagementSummaryMetricRangesDataTask.reducer`): among the course's learners active in
      the week (the ratio: those with an attempt), high = [p85, inf) only when p15 != p85 -- so a learner
      alone in a course, or tied with everyone, is in no high range;
    - `disengaging`: active the week before, not this week; `inactive`: active in neither
      (`ModuleEngagementRosterPartitionTask`; the pipeline's roster also lists these);
    - an active learner in no segment has `segments` empty.

    Differences, argued: `days_active` counts days with any event the learner caused (learner_day), not
    only days with a problem, video or forum action, so a learner who only read pages is not `inactive`;
    a learner with no problem attempt is never `struggling` (the pipeline gives every learner without a
    completed problem an infinite ratio, so a video-only learner lands in `struggling` there)."""
    table = roles.counted(learners, include_team).select("user_id", "username").join(
        metrics, on="user_id", how="left").with_columns(
        *[pl.col(c).fill_null(0).cast(pl.Int64) for c in ["days_active", *METRICS, "active_previous_week"]])
    active = pl.col("days_active") > 0
    ratio = pl.when(pl.col("problems_completed") > 0).then(pl.col("problem_attempts") / pl.col("problems_completed")
                                                            ).otherwise(float("inf"))
    table = table.with_columns(ratio.alias("ratio"),
                               pl.when(pl.col("problems_completed") > 0).then(ratio.round(4))
                               .alias("problem_attempts_per_completed"))
    actives = table.filter(active)
    high = {c: high_range_start(actives.get_column(c)) for c in ENGAGED_METRICS}
    high_ratio = high_range_start(actives.filter(pl.col("problem_attempts") > 0).get_column("ratio"))
    engaged = pl.any_horizontal(pl.lit(False), *[pl.col(c) >= high[c] for c in ENGAGED_METRICS if high[c] is not None])
    struggling = ((pl.col("ratio") >= high_ratio) & (pl.col("problem_attempts") > 0)) if high_ratio is not None \
        else pl.lit(False)
    labels = pl.concat_list(
        pl.when(active & engaged).then(pl.lit("highly_engaged")),
        pl.when(active & struggling).then(pl.lit("struggling")),
        pl.when(~active & (pl.col("active_previous_week") == 1)).then(pl.lit("disengaging")),
        pl.when(~active & (pl.col("active_previous_week") == 0)).then(pl.lit("inactive")),
    ).list.drop_nulls().list.join(";")
    return table.with_columns(labels.alias("segments"), pl.lit(course.course_id).alias("course_id"),
                              pl.lit(week).alias("week")).unique("user_id", keep="first").sort("user_id").select(
        SEGMENT_COLUMNS)
