"""RFC 4180 CSV files (UTF-8, header row, CRLF, fields quoted when needed), written atomically."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

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
    if isinstance(value, float):
        return f"{value:.6g}"
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
