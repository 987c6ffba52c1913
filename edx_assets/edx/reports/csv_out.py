"""RFC 4180 CSV files (UTF-8, header row, CRLF, fields quoted when needed), written atomically."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

PREVIEW_ROWS = 10


@dataclass
class CsvResult:
    path: Path
    columns: list[str]
    rows: int = 0
    preview: list[list[str]] = field(default_factory=list)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):  # stored in UTC
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):  # the shortest text that reads back as the same number: no digit lost
        return repr(value)
    return str(value)


def write_csv(path: Path, columns: list[str], rows: Iterable[Mapping[str, Any]]) -> CsvResult:
    """Write `rows` (dicts; missing keys are empty cells) to `path` via a temporary file and rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    result = CsvResult(path, list(columns))
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, dialect="excel", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            values = [cell(row.get(c)) for c in columns]
            writer.writerow(values)
            if result.rows < PREVIEW_ROWS:
                result.preview.append(values)
            result.rows += 1
    os.replace(partial, path)
    return result


def _as_text(frame: pl.DataFrame, column: str) -> pl.Expr:
    """A column as the text `cell` would write, computed by polars (floats through `repr`, like `cell`)."""
    kind = frame.schema[column]
    col = pl.col(column)
    if kind == pl.Boolean:
        text = pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
    elif isinstance(kind, pl.Datetime):
        text = col.dt.strftime("%Y-%m-%d %H:%M:%S")
    elif kind == pl.Date:
        text = col.dt.strftime("%Y-%m-%d")
    elif kind.is_float():
        text = col.map_elements(repr, return_dtype=pl.String, skip_nulls=True)
    elif kind == pl.Null:
        text = pl.lit(None, dtype=pl.String)
    else:
        text = col.cast(pl.String)
    # An empty text is an empty cell, as the csv module writes it (polars would quote it).
    return pl.when(text == "").then(None).otherwise(text).alias(column)


def write_frame(path: Path, frame: pl.DataFrame, columns: list[str]) -> CsvResult:
    """`write_csv` for a polars frame: the same bytes as writing its rows one by one, without a Python
    object per cell. Columns missing from the frame are empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = frame.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in columns if c not in frame.columns])
    text = frame.select([_as_text(frame, c) for c in columns])
    partial = path.with_name(path.name + ".part")
    text.write_csv(partial, line_terminator="\r\n", quote_style="necessary")
    if text.height == 0:  # polars writes the header of an empty frame too; keep the same line ending
        partial.write_text(",".join(columns) + "\r\n", encoding="utf-8", newline="")
    os.replace(partial, path)
    preview = [["" if v is None else v for v in row] for row in text.head(PREVIEW_ROWS).iter_rows()]
    return CsvResult(path, list(columns), rows=text.height, preview=preview)
