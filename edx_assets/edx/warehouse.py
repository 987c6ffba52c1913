"""The SQL warehouse: every weekly report as Parquet, the days' facts as Parquet partitioned by day, and one
DuckDB file holding every week loaded so far, every table and column described.

Parquet files sit beside the CSVs (`reports/{week}/parquet/<table>.parquet`), typed from the report columns'
declared types (`reports/columns.py`) with a `week` column; each field carries its definition (field
metadata `description`, the file its table's). The days' facts (`learner_day`, `activity_daily`) are written
by day under `{EDX_DATA_DIR}/warehouse/facts/<table>/day=<day>/`. The DuckDB file (`{EDX_DATA_DIR}/warehouse/
edx.duckdb`) is rebuilt from every week's Parquet files: one table per report (all weeks, `week` first-class),
a view `latest_<table>` (the newest week), the dimensions `dim_course`, `dim_learner`, `dim_module` and the
facts `fact_learner_day`, `fact_activity_daily` (views over the day files: a new day shows at once). Every
table, view and column carries its definition (`COMMENT ON`, from reports/catalog.py and columns.py: what the
UI shows). It is written beside the live file and renamed over it, so a BI tool holding the old file open,
or opening it meanwhile, never sees a half-built one.
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
import pyarrow as pa
import pyarrow.parquet as pq
from pymongo.database import Database

from edx_assets.edx import learner_day as ld
from edx_assets.edx.reports import catalog, columns, frames

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
    write_described(frame, table, target)
    return table, target, frame.height


def write_described(frame: pl.DataFrame, table: str, target: Path) -> None:
    """Write `frame` as Parquet with each field's definition (field metadata `description`, and `type`) and
    the table's (`description`), atomically (a reader never sees half a file)."""
    described = {name: (kind, text) for name, kind, text in catalog.describe(table, frame.columns)}
    data = frame.to_arrow()
    fields = [data.schema.field(name).with_metadata({"description": described[name][1], "type": described[name][0]})
              for name in frame.columns]
    data = data.cast(pa.schema(fields, metadata={"table": table, "description": catalog.definition(table)}))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    pq.write_table(data, partial, write_statistics=True)
    os.replace(partial, target)


def write_fact(frame: pl.DataFrame, table: str, day: str, warehouse_dir: Path) -> Path:
    """One day of a fact table (catalog.FACTS), `frame` without `day` (the folder names it)."""
    target = fact_path(warehouse_dir, table, day)
    write_described(frame.select(catalog.FACTS[table].columns), table, target)
    return target


def facts_dir(warehouse_dir: Path, table: str) -> Path:
    return warehouse_dir / "facts" / table


def fact_path(warehouse_dir: Path, table: str, day: str) -> Path:
    return facts_dir(warehouse_dir, table) / f"day={day}" / f"{table}.parquet"


_ARROW = {columns.INTEGER: frames.INT, columns.FLOAT: frames.FLOAT, columns.DATETIME: frames.TIME,
          columns.STRING: frames.TEXT}
# Where each fact table's rows of a day are read from (MongoDB), with the fields read.
FACT_SOURCES = {
    table: (collection, {n: _ARROW[k] for n, k, _ in catalog.describe(table, catalog.FACTS[table].columns)})
    for table, collection in (("learner_day", ld.COLLECTION), ("activity_daily", "activity_daily"))
}


def write_day_facts(db: Database, day: str, warehouse_dir: Path) -> dict[str, int]:
    """Write (or replace) the day's file of each fact table from its MongoDB collection; a day with no rows
    has no file (a stale one is removed). Rows written per table."""
    written = {}
    for table, (collection, schema) in FACT_SOURCES.items():
        frame = frames.read(db, collection, schema, {"day": day}).sort(catalog.FACTS[table].keys[:-1])
        if frame.height:
            write_fact(frame, table, day, warehouse_dir)
        else:
            fact_path(warehouse_dir, table, day).unlink(missing_ok=True)
        written[table] = frame.height
    return written


def purge_facts(warehouse_dir: Path, user_ids: Iterable[int]) -> int:
    """Rewrite the day files of `learner_day` that hold any of `user_ids` (retired learners) without their
    rows; the rows removed."""
    ids = sorted(set(user_ids))
    files = sorted(facts_dir(warehouse_dir, "learner_day").glob("day=*/*.parquet"))
    if not ids or not files:
        return 0
    hit = (pl.scan_parquet(files, include_file_paths="file").filter(pl.col("user_id").is_in(ids))
           .select("file").unique().collect().get_column("file").to_list())
    removed = 0
    for name in sorted(hit):
        frame = pl.read_parquet(name)
        kept = frame.filter(~pl.col("user_id").is_in(ids))
        removed += frame.height - kept.height
        write_described(kept, "learner_day", Path(name))
    return removed


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
    described: dict[str, tuple[str, str]] = {}  # table or view -> (its kind, the table whose definitions it has)
    try:
        with duckdb.connect(str(partial)) as con:
            for table, paths in sorted(files.items()):
                con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM read_parquet(?, union_by_name = true) '
                            "ORDER BY ALL", [paths])
                con.execute(f'CREATE VIEW "latest_{table}" AS SELECT * FROM "{table}" '
                            f'WHERE week = (SELECT max(week) FROM "{table}")')
                tables[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                described.update({table: ("TABLE", table), f"latest_{table}": ("VIEW", table)})
            for view, (_, sql, source) in catalog.VIEWS.items():
                if source in tables:
                    con.execute(f'CREATE VIEW "{view}" AS {sql}')
                    described[view] = ("VIEW", source)
            for view, fact in catalog.FACT_VIEWS.items():
                if any(facts_dir(warehouse_dir, fact).glob("day=*/*.parquet")):
                    glob = str(facts_dir(warehouse_dir, fact) / "day=*" / "*.parquet").replace("'", "''")
                    con.execute(f'CREATE VIEW "{view}" AS SELECT * FROM read_parquet(\'{glob}\', hive_partitioning '
                                "= true, hive_types = {'day': DATE})")
                    described[view] = ("VIEW", fact)
            _comment(con, described)
            weeks = [str(w) for (w,) in con.execute(
                " UNION ".join(f'SELECT DISTINCT week FROM "{t}"' for t in tables) + " ORDER BY 1").fetchall()] \
                if tables else []
            con.execute("CHECKPOINT")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
        Path(str(partial) + ".wal").unlink(missing_ok=True)
    return Built(target, tables, weeks, target.stat().st_size)


def _comment(con: duckdb.DuckDBPyConnection, described: dict[str, tuple[str, str]]) -> None:
    """COMMENT ON every table and view in `described` and on each of its columns (one batch of statements)."""
    found: dict[str, list[str]] = {}
    for name, column in con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal "
                                    "ORDER BY table_name, column_index").fetchall():
        found.setdefault(name, []).append(column)
    statements = []
    for name, (kind, table) in described.items():
        statements.append(f'COMMENT ON {kind} "{name}" IS {_quote(catalog.definition(name))}')
        statements += [f'COMMENT ON COLUMN "{name}"."{column}" IS {_quote(text)}'
                       for column, _, text in catalog.describe(table, found[name])]
    if statements:
        # One transaction: a comment committed on its own costs a catalog commit each (990 in the demo).
        con.execute("BEGIN TRANSACTION;\n" + ";\n".join(statements) + ";\nCOMMIT")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def week_rows(database: Path, week: str, table_names: Iterable[str]) -> dict[str, int]:
    """Rows of each table for `week`, read back from the database file (what the check compares)."""
    with duckdb.connect(str(database), read_only=True) as con:
        return {t: con.execute(f'SELECT count(*) FROM "{t}" WHERE week = ?::DATE', [week]).fetchone()[0]
                for t in table_names}
