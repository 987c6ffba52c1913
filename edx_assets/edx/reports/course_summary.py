"""course_summary: the funnel per course from person_course, overall and by gender and education."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from edx_assets.edx.reports.roles import counted

COLUMNS = [
    "course_id", "dimension", "value", "registered", "viewed", "explored", "certified", "verified",
    "share_viewed", "share_explored", "share_certified", "share_verified", "median_ndays_act",
    "median_grade_certified",
]


def _funnel(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return (
        frame.group_by(keys)
        .agg(
            pl.len().alias("registered"),
            pl.col("viewed").sum().alias("viewed"),
            # Unknown (no course structure) stays unknown: null, not a sum of nothing.
            pl.when(pl.col("explored").is_not_null().any()).then(pl.col("explored").sum()).alias("explored"),
            pl.col("certified").sum().alias("certified"),
            (pl.col("mode") == "verified").sum().alias("verified"),
            pl.col("ndays_act").filter(pl.col("viewed") == 1).median().alias("median_ndays_act"),
            pl.col("grade").filter(pl.col("certified") == 1).median().alias("median_grade_certified"),
        )
        .with_columns(
            *[(pl.col(c) / pl.col("registered")).round(4).alias(f"share_{c}")
              for c in ("viewed", "explored", "certified", "verified")]
        )
    )


def summarize(person_course_csv: Path, include_team: bool = False) -> pl.DataFrame:
    """Rows per course: dimension `all`, then one row per gender and per level of education; the course
    team (person_course's is_course_team) left out unless `include_team`."""
    frame = counted(pl.read_csv(person_course_csv, infer_schema_length=0), include_team).with_columns(
        *[pl.col(c).cast(pl.Int64) for c in ("viewed", "explored", "certified", "ndays_act")],
        pl.col("grade").cast(pl.Float64, strict=False),
        pl.col("gender").fill_null("unknown"),
        pl.col("level_of_education").fill_null("unknown"),
    )
    parts = [_funnel(frame, ["course_id"]).with_columns(pl.lit("all").alias("dimension"), pl.lit("").alias("value"))]
    for dimension in ("gender", "level_of_education"):
        parts.append(_funnel(frame, ["course_id", dimension]).rename({dimension: "value"})
                     .with_columns(pl.lit(dimension).alias("dimension")))
    return pl.concat([p.select(COLUMNS) for p in parts]).sort(["course_id", "dimension", "value"])
