"""What leaves the platform, and under which name: the copy of a report file sent to the partner's S3
bucket. An aggregate table (CSV or Parquet) leaves with its cells of fewer than EDX_MIN_CELL learners emptied
and marked (small_cells); the local file stays whole for the partner's own analysts."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from edx_assets.edx.reports import small_cells

CONTENT_TYPES = {".csv": "text/csv; charset=utf-8", ".parquet": "application/vnd.apache.parquet",
                 ".html": "text/html; charset=utf-8", ".json": "application/json"}


def object_key(prefix: str, week: str, name: str, folder: str = "") -> str:
    """prefix/week/[folder/]name: one week's files under one prefix, a kind of file in its own folder."""
    return "/".join(p for p in (prefix.strip("/"), week, folder, name) if p)


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix, "application/octet-stream")


@contextmanager
def leaving_copy(path: Path, min_cell: int) -> Iterator[Path]:
    """The file that may leave for `path`: itself, or its small-cell-suppressed copy (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="edx-upload-") as aside:
        yield small_cells.leaving_copy(path, min_cell, Path(aside))
