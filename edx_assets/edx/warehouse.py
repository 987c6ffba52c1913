"""The SQL warehouse: every weekly report as Parquet, and one DuckDB file holding every week loaded so far.

Parquet files sit beside the CSVs (`reports/{week}/parquet/<table>.parquet`), typed from the report columns'
declared types (`reports/columns.py`) with a `week` column. The DuckDB file (`{EDX_DATA_DIR}/warehouse/
edx.duckdb`) is rebuilt from every week's Parquet files: one table per report (all weeks, `week` first-class)
and a view `latest_<table>` (the newest week). It is written beside the live file and renamed over it, so a
BI tool holding the old file open, or opening it meanwhile, never sees a half-built one.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from edx_assets.edx.reports import columns

DATABASE = "edx.duckdb"
_WEEK_SUFFIX = re.compile(r"_\d{4}-\d{2}-\d{2}$")
TYPES = {columns.INTEGER: pl.Int64, columns.FLOAT: pl.Float64, columns.FLAG: pl.Int8, columns.DATE: pl.Date,
         columns.DATETIME: pl.Datetime("us"), columns.BOOLEAN: pl.Boolean, columns.STRING: pl.String}


# Report files that stay out of the warehouse (and off S3): signals about individuals, read by a person.
LOCAL_ONLY = frozenset({"integrity_signals"})


def table_of(csv_name: str) -> str | None:
    """The warehouse table of a report file (`learners_master_<week>.csv` -> learners_master); None for the
    per-course copies (`<prefix>_active_users.csv`: `active_users.csv` holds every course) and LOCAL_ONLY."""
    stem = _WEEK_SUFFIX.sub("", csv_name.removesuffix(".csv"))
    if stem.endswith("_active_users") or stem in LOCAL_ONLY:
        return None
    return stem


def typed(frame: pl.DataFrame, table: str, source: str) -> pl.DataFrame:
    """The CSV's text columns cast to their declared types; a value that does not cast fails naming the file,
    the column and the first bad value (never silently null)."""
    casts = []
    for name, kind, _ in columns.describe(table, frame.columns):
        target = TYPES.get(kind, pl.String)
        col = pl.col(name)
        if target == pl.Boolean:
            expr = pl.when(col == "true").then(True).when(col == "false").then(False)
        elif target == pl.Date:
            expr = col.str.to_date("%Y-%m-%d", strict=False)
        elif isinstance(target, pl.Datetime):
            expr = col.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
        else:
            expr = col.cast(target, strict=False)
        casts.append((name, expr.alias(name)))
    out = frame.with_columns([e for _, e in casts])
    for name, _ in casts:
        lost = frame.filter(pl.col(name).is_not_null() & out[name].is_null())
        if lost.height:
            raise ValueError(f"{source}: column {name!r} holds {lost[name][0]!r}, not a {columns.describe(table, [name])[0][1]}")
    return out


def to_parquet(csv_path: Path, week: str) -> tuple[str, Path, int] | None:
    """Write the report file's Parquet copy (typed, with `week`); (table, path, rows), or None when the file
    is not a warehouse table."""
    table = table_of(csv_path.name)
    if table is None:
        return None
    frame = typed(pl.read_csv(csv_path, infer_schema_length=0), table, csv_path.name)
    # A table with its own `week` (engagement_segments: the same Sunday) keeps it.
    frame = frame.with_columns(pl.lit(week).str.to_date().alias("week")).select(
        "week", *[c for c in frame.columns if c != "week"])
    target = csv_path.parent / "parquet" / f"{table}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    frame.write_parquet(partial, statistics=True)
    os.replace(partial, target)
    return table, target, frame.height


@dataclass(frozen=True)
class Built:
    path: Path
    tables: dict[str, int]  # table -> rows over every week
    weeks: list[str]
    bytes: int


def build(reports_root: Path, warehouse_dir: Path) -> Built:
    """Rebuild the DuckDB file from every week's Parquet files (`reports/<week>/parquet/*.parquet`)."""
    files: dict[str, list[str]] = {}
    for path in sorted(reports_root.glob("*/parquet/*.parquet")):
        files.setdefault(path.stem, []).append(str(path))
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    target = warehouse_dir / DATABASE
    partial = warehouse_dir / f".{DATABASE}.{uuid.uuid4().hex}.part"
    tables: dict[str, int] = {}
    try:
        with duckdb.connect(str(partial)) as con:
            for table, paths in sorted(files.items()):
                con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM read_parquet(?, union_by_name = true) '
                            "ORDER BY ALL", [paths])
                con.execute(f'CREATE VIEW "latest_{table}" AS SELECT * FROM "{table}" '
                            f'WHERE week = (SELECT max(week) FROM "{table}")')
                tables[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            weeks = [str(w) for (w,) in con.execute(
                " UNION ".join(f'SELECT DISTINCT week FROM "{t}"' for t in tables) + " ORDER BY 1").fetchall()] \
                if tables else []
            con.execute("CHECKPOINT")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
        Path(str(partial) + ".wal").unlink(missing_ok=True)
    return Built(target, tables, weeks, target.stat().st_size)


def week_rows(database: Path, week: str, table_names: Iterable[str]) -> dict[str, int]:
    """Rows of each table for `week`, read back from the database file (what the check compares)."""
    with duckdb.connect(str(database), read_only=True) as con:
        return {t: con.execute(f'SELECT count(*) FROM "{t}" WHERE week = ?::DATE', [week]).fetchone()[0]
                for t in table_names}
