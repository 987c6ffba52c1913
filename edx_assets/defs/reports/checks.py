"""Checks every report runs on the file it wrote, read back as an analyst would: the key is unique, shares
lie in [0, 1], rows reconcile with their inputs."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from edx_assets.defs.common import Build


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
