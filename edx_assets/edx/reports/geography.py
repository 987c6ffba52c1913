"""geography: per course and country of the registration IP, the edx2bigquery funnel with continent and UN
region (edx2bigquery's make_course_report_tables.py, `CourseReport.make_geographic_distributions`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from edx_assets.edx import regions
from edx_assets.edx.reports.roles import counted

COLUMNS = ["course_id", "country_code", "continent", "un_region", "registered", "viewed", "explored", "certified",
           "verified"]


def by_country(person_course_csv: Path, include_team: bool) -> pl.DataFrame:
    """From `person_course.csv`: per course and `ip_country` (the registration IP's country; `UNKNOWN` for
    an IP the database cannot place, empty for learners with no IP at all -- edx-analytics-pipeline's
    location_per_course.py writes UNKNOWN and NULL the same way, where this table wrote `unknown` for both):
    registered, viewed, explored (empty when the course has no structure), certified and verified (verified mode) learners, with the country's continent and UN M49 sub-region. The course team
    is left out unless `include_team`."""
    frame = counted(pl.read_csv(person_course_csv, infer_schema_length=0), include_team).with_columns(*[pl.col(c).cast(pl.Int64) for c in ("viewed", "explored", "certified")],
                               pl.col("ip_country").alias("country_code"))
    table = frame.group_by("course_id", "country_code").agg(
        pl.len().cast(pl.Int64).alias("registered"), pl.col("viewed").sum(),
        pl.when(pl.col("explored").is_not_null().any()).then(pl.col("explored").sum()).alias("explored"),
        pl.col("certified").sum(), (pl.col("mode") == "verified").sum().cast(pl.Int64).alias("verified"))
    return table.with_columns(
        pl.col("country_code").replace_strict({c: r[0] for c, r in regions.REGION.items()}, default=None,
                                              return_dtype=pl.String).alias("continent"),
        pl.col("country_code").replace_strict({c: r[1] for c, r in regions.REGION.items()}, default=None,
                                              return_dtype=pl.String).alias("un_region"),
    ).sort("course_id", "country_code", nulls_last=True).select(COLUMNS)
