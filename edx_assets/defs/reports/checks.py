"""Checks every report runs on the file it wrote, read back as an analyst would: the key is unique, shares
lie in [0, 1], rows reconcile with their inputs."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from edx_assets.defs.common import Build
from edx_assets.edx.reports import small_cells


def spec(ctx: Build, asset: str, name: str, description: str, daily: bool = False) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=asset, partitions_def=ctx.daily if daily else ctx.weekly,
                             description=description)


def read_back(path: Path) -> pl.DataFrame:
    """The CSV as text columns (empty cells are nulls): nothing is inferred, nothing is lost."""
    return pl.read_csv(path, infer_schema_length=0)


def unique_key(name: str, frame: pl.DataFrame, key: list[str]) -> dg.AssetCheckResult:
    """No key twice; a key column missing from the file fails the check (nothing checked on a partial key)."""
    missing = [c for c in key if c not in frame.columns]
    duplicates = 0 if missing else frame.height - frame.select(key).unique().height
    return dg.AssetCheckResult(check_name=name, passed=not missing and duplicates == 0,
                               metadata={"key": dg.MetadataValue.json(key), "duplicate_rows": duplicates,
                                         "missing_key_columns": dg.MetadataValue.json(missing)})


def one_row_per_enrollment(path: Path, expected: int) -> dg.AssetCheckResult:
    """The per-enrollment files: as many rows as enrollments, no (course_id, user_id) twice."""
    frame = read_back(path)
    unique = unique_key("one_row_per_enrollment", frame, ["course_id", "user_id"])
    return dg.AssetCheckResult(
        check_name="one_row_per_enrollment", passed=unique.passed and frame.height == expected,
        metadata={**unique.metadata, "csv_rows": frame.height, "enrollment_documents": expected})


def shares_within_unit(name: str, frame: pl.DataFrame, columns: list[str]) -> dg.AssetCheckResult:
    outside = {}
    for column in columns:
        values = frame.get_column(column).cast(pl.Float64, strict=False).drop_nulls()
        outside[column] = int(((values < 0) | (values > 1)).sum())
    return dg.AssetCheckResult(check_name=name, passed=not any(outside.values()),
                               metadata={"values_outside_0_1": dg.MetadataValue.json(outside)})


def equal(name: str, actual: int, expected: int, what: str = "rows") -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name=name, passed=actual == expected,
                               metadata={f"csv_{what}": actual, f"expected_{what}": expected})


def registered_reconciles(name: str, written: pl.DataFrame, people: pl.DataFrame, keys: list[str], k: int,
                          passed: bool = True, metadata: dict | None = None) -> dg.AssetCheckResult:
    """Per group of `keys`, the published `registered` add up to person_course's learners of the course
    (`people`: course_id, len); with small cells emptied, what is missing is between 1 and k-1 learners per
    emptied cell."""
    groups = written.with_columns(pl.col("registered").cast(pl.Int64)).group_by(keys).agg(
        pl.col("registered").sum().alias("published"), pl.col("registered").is_null().sum().alias("hidden"))
    joined = groups.join(people, on="course_id", how="full", coalesce=True).with_columns(
        (pl.col("len").fill_null(0) - pl.col("published").fill_null(0)).alias("missing"))
    off = joined.filter((pl.col("missing") < pl.col("hidden").fill_null(0))
                        | (pl.col("missing") > pl.col("hidden").fill_null(0) * (k - 1)) | pl.col("len").is_null()
                        | pl.col("published").is_null())
    return dg.AssetCheckResult(check_name=name, passed=passed and off.height == 0, metadata={
        "mismatches": dg.MetadataValue.json(off.to_dicts()[:20]),
        "person_course_rows": int(people.get_column("len").sum()), **(metadata or {})})


def no_small_cell(name: str, frame: pl.DataFrame, table: str, k: int) -> dg.AssetCheckResult:
    """No published learner count of `table` lies between 1 and k-1 (EDX_MIN_CELL)."""
    smallest = small_cells.smallest_published(frame, table)
    marked = int((frame.get_column(small_cells.MARK).fill_null("") != "").sum())
    return dg.AssetCheckResult(check_name=name, passed=smallest is None or smallest >= k, metadata={
        "min_cell": k, "smallest_published_count": smallest if smallest is not None else 0,
        "rows_with_suppressed_cells": marked})
