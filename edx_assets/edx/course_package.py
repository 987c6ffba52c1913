"""Safe extraction and decryption of a weekly course-data package, and its manifest.

The zip is not encrypted; each member is. Members are checked before anything is written: no absolute
paths, no `..`, no links, no duplicate names, a cap on total size and on each member's compression
ratio (encrypted data does not compress, so a high ratio means a zip bomb). Sizes are enforced while
reading too, since a zip's declared sizes can lie.
"""

from __future__ import annotations

import os
import queue
import shutil
import stat
import zipfile
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from edx_assets.edx import crypto, layout

MAX_TOTAL_BYTES = 200 * 1024**3  # 200 GiB uncompressed, well above the largest real packages
MAX_RATIO = 100  # uncompressed / compressed, per member with more than 1 MiB uncompressed
DECRYPT_WORKERS = min(4, os.cpu_count() or 1)  # gpg processes at once


class UnsafePackageError(ValueError):
    """The zip holds something that must not be extracted (path tricks, links, bombs)."""


class CorruptPackageError(ValueError):
    """The zip cannot be read (not a zip, bad CRC, truncated)."""


@dataclass
class ManifestFile:
    member: str  # path inside the zip
    path: str  # decrypted file, relative to the package folder
    course: str | None  # file prefix `{Org}-{Course}-{Run}`
    table: str | None
    kind: str  # table, structure, forum, course_xml, ora, org_table, other, failed, unknown
    bytes: int
    rows: int | None = None  # data rows of .sql tables (lines minus the header)


@dataclass
class Manifest:
    package: str
    files: list[ManifestFile] = field(default_factory=list)

    @property
    def courses(self) -> list[str]:
        return sorted({f.course for f in self.files if f.course and f.kind in {"table", "structure", "forum"}})

    def tables(self, course: str) -> dict[str, ManifestFile]:
        """The course's files by table (its `ora/` files apart: `ora_tables`)."""
        return {f.table: f for f in self.files
                if f.course == course and f.table and f.kind not in {"failed", "ora"}}

    def ora_tables(self, course: str) -> dict[str, ManifestFile]:
        return {f.table: f for f in self.files if f.course == course and f.table and f.kind == "ora"}

    def org_tables(self) -> dict[str, ManifestFile]:
        return {f.table: f for f in self.files if f.table and f.kind == "org_table"}

    @property
    def failed(self) -> list[ManifestFile]:
        return [f for f in self.files if f.kind == "failed"]

    @property
    def unknown(self) -> list[ManifestFile]:
        return [f for f in self.files if f.kind in {"unknown", "other"}]

    def as_dict(self) -> dict:
        return {"package": self.package, "files": [asdict(f) for f in self.files]}

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        return cls(data["package"], [ManifestFile(**f) for f in data["files"]])


def check_members(archive: zipfile.ZipFile, *, max_total: int = MAX_TOTAL_BYTES,
                  max_ratio: float = MAX_RATIO) -> list[zipfile.ZipInfo]:
    """The file members of the archive, after refusing anything unsafe."""
    seen: set[str] = set()
    total = 0
    files = []
    for info in archive.infolist():
        name = info.filename
        path = PurePosixPath(name.replace("\\", "/"))
        if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or path.is_absolute():
            raise UnsafePackageError(f"member {name!r} has an absolute path")
        if ".." in path.parts:
            raise UnsafePackageError(f"member {name!r} climbs out of the package folder ('..')")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafePackageError(f"member {name!r} is a symbolic link")
        if name in seen:
            raise UnsafePackageError(f"member {name!r} appears twice in the package")
        seen.add(name)
        if info.is_dir():
            continue
        total += info.file_size
        if total > max_total:
            raise UnsafePackageError(f"the package unpacks to more than {max_total} bytes (at member {name!r})")
        if info.file_size > 1 << 20 and info.file_size > max_ratio * max(1, info.compress_size):
            raise UnsafePackageError(
                f"member {name!r} expands {info.file_size / max(1, info.compress_size):.0f}x: a zip bomb?"
            )
        files.append(info)
    return files


def _copy_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> int:
    written = 0
    fd = crypto.open_private(target)
    try:
        with archive.open(info) as source:
            while chunk := source.read(1 << 20):
                written += len(chunk)
                if written > info.file_size:
                    raise UnsafePackageError(f"member {info.filename!r} is larger than its header says")
                os.write(fd, chunk)
    finally:
        os.close(fd)
    return written


def _relative(name: str) -> str:
    """Path inside the package folder: without the top `{org}-{date}/` folder when there is one."""
    parts = PurePosixPath(name).parts
    return str(PurePosixPath(*parts[1:])) if len(parts) > 1 else name


def _count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        lines = sum(1 for _ in handle)
    return max(0, lines - 1)


def classify(relative: str) -> tuple[str | None, str | None, str]:
    """(course file prefix, table, kind) of a decrypted member's path."""
    name = PurePosixPath(relative).name
    if name.endswith(".failed"):
        parsed = layout.parse_package_file(name.removesuffix(".failed"))
        return (parsed.file_prefix if parsed else None), (parsed.table if parsed else None), "failed"
    parsed = layout.parse_package_file(name)
    if PurePosixPath(relative).parts[0] == layout.ORA_FOLDER:
        if parsed is None or parsed.ext != "sql":
            return (parsed.file_prefix if parsed else None), (parsed.table if parsed else None), "unknown"
        return parsed.file_prefix, parsed.table, "ora"
    if parsed is None:
        return None, None, "unknown"
    if parsed.kind == "org_table":
        return None, parsed.table, parsed.kind
    return parsed.file_prefix, parsed.table, parsed.kind


def _decrypt_member(rings: queue.SimpleQueue, zip_name: str, member: str, encrypted: Path, out: Path) -> None:
    ring = rings.get()  # a keyring handle of its own for this thread
    try:
        try:
            ring.decrypt_to(encrypted, out, gunzip=False)
        except crypto.DecryptionError:
            # gpg-agent can answer one of several gpg processes started at once as if the key were absent:
            # one more try; a member that really cannot be decrypted fails again, and is named.
            ring.decrypt_to(encrypted, out, gunzip=False)
    except crypto.DecryptionError as exc:
        raise crypto.DecryptionError(f"{zip_name}: member {member!r}: {str(exc).split(': ', 1)[-1]}") from None
    finally:
        rings.put(ring)
        encrypted.unlink(missing_ok=True)


def extract_and_decrypt(zip_path: Path, target_dir: Path, ring: crypto.GpgKeyring, workers: int = DECRYPT_WORKERS) -> Manifest:
    """Extract every member of `zip_path` and decrypt the `.gpg` ones into `target_dir` (0700/0600).

    Members are read from the zip one at a time; up to `workers` of them are decrypted at once (each by its
    own gpg process: a package holds a hundred small members, and gpg's start-up, not the data, is most of
    the time), so at most `workers` encrypted copies sit in the scratch folder."""
    if target_dir.exists():
        shutil.rmtree(target_dir)  # a previous attempt's files: start clean
    target_dir.mkdir(parents=True)
    os.chmod(target_dir, 0o700)
    manifest = Manifest(zip_path.name)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CorruptPackageError(f"{zip_path.name} is not a readable zip: {exc}") from None
    done: list[tuple[zipfile.ZipInfo, str, Path]] = []  # (member, relative path, decrypted file), zip order
    rings: queue.SimpleQueue = queue.SimpleQueue()
    for n in range(max(1, workers)):
        rings.put(ring if n == 0 else ring.clone())
    with archive, ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        members = check_members(archive)
        scratch = target_dir / ".encrypted"
        scratch.mkdir(mode=0o700)
        pending: set[Future] = set()
        warmed = False
        try:
            for number, info in enumerate(members):
                relative = _relative(info.filename)
                encrypted = scratch / f"member-{number}"
                try:
                    _copy_capped(archive, info, encrypted)
                except (zipfile.BadZipFile, EOFError, OSError) as exc:  # CRC errors are BadZipFile
                    raise CorruptPackageError(f"{zip_path.name}: member {info.filename!r} is corrupt: {exc}") from None
                if relative.endswith(".gpg"):
                    relative = relative.removesuffix(".gpg")
                    out = target_dir / relative
                    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    pending.add(pool.submit(_decrypt_member, rings, zip_path.name, info.filename, encrypted, out))
                    # The first member alone: its gpg starts the keyring's agent, which the others then share.
                    if len(pending) >= (max(1, workers) if warmed else 1):
                        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                        warmed = True
                        for future in finished:
                            future.result()  # the first failure stops the extraction, naming its member
                else:  # `.failed` tracebacks and anything else come unencrypted
                    out = target_dir / relative
                    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    os.replace(encrypted, out)
                done.append((info, relative, out))
            for future in pending:
                future.result()
        finally:
            for future in pending:
                future.cancel()
            wait(pending)
            shutil.rmtree(scratch, ignore_errors=True)
    for info, relative, out in done:
        course, table, kind = classify(relative)
        rows = _count_rows(out) if kind in {"table", "ora"} else None
        manifest.files.append(ManifestFile(info.filename, relative, course, table, kind, out.stat().st_size, rows))
    return manifest
