"""What a stage hands the next beside a file it wrote: its size, line count and sha256, in a sidecar.

The decrypting stage measures the clear file while writing it; the loading stage reads the sidecar
instead of hashing and counting the file again. A sidecar that does not match its file (another size)
is refused, so a stale one can never stand for a new file.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from edx_assets.edx.crypto import DecryptedFile

SUFFIX = ".handoff.json"


class HandoffMissingError(FileNotFoundError):
    """The file or its sidecar is not there: the producing stage must run first."""


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def write_handoff(result: DecryptedFile) -> Path:
    sidecar = sidecar_path(result.path)
    sidecar.write_text(json.dumps({"bytes": result.bytes, "lines": result.lines, "sha256": result.sha256}))
    return sidecar


def read_handoff(path: Path) -> DecryptedFile:
    sidecar = sidecar_path(path)
    if not path.exists() or not sidecar.exists():
        raise HandoffMissingError(f"{path.name} is not decrypted (it is removed after each load)")
    facts = json.loads(sidecar.read_text())
    if path.stat().st_size != facts["bytes"]:
        raise HandoffMissingError(f"{path.name} does not match its sidecar: decrypt it again")
    return DecryptedFile(path, int(facts["bytes"]), int(facts["lines"]), str(facts["sha256"]))


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    sidecar_path(path).unlink(missing_ok=True)


def expire(root: Path, keep: str, max_age_hours: float, now: float | None = None) -> list[str]:
    """Remove the partition folders under `root` (decrypted/<kind>/<partition>) but `keep` whose newest file
    is older than `max_age_hours`: what a failed load, or a decrypting step run alone, left behind. The
    names of the folders removed, sorted."""
    if not root.is_dir():
        return []
    cutoff = (time.time() if now is None else now) - max_age_hours * 3600
    removed = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != keep):
        newest = max((f.stat().st_mtime for f in folder.rglob("*")), default=folder.stat().st_mtime)
        if newest < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed
