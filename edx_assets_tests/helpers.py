"""Helpers to build packages and deliveries for tests (real gpg, real zip files)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from edx_assets.edx import crypto
from edx_assets.local.gpg_tools import SenderKeyring


def encrypt_bytes(public_key: str, data: bytes, workdir: Path) -> bytes:
    plain = workdir / "plain.tmp"
    plain.write_bytes(data)
    with crypto.gpg_home() as home:
        ring = SenderKeyring(home, None)
        recipient = ring.import_key(public_key)[0]
        ring.encrypt_file(plain, workdir / "enc.tmp", recipient)
    plain.unlink()
    out = (workdir / "enc.tmp").read_bytes()
    (workdir / "enc.tmp").unlink()
    return out


def make_package(path: Path, members: dict[str, bytes], public_key: str | None, top: str = "idbx-2026-10-04",
                 compression: int = zipfile.ZIP_STORED) -> Path:
    """A package zip: each member encrypted on its own (named `.gpg`) unless public_key is None."""
    work = path.parent / (path.name + ".work")
    work.mkdir(exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            if public_key is not None and not name.endswith(".failed"):
                archive.writestr(f"{top}/{name}.gpg", encrypt_bytes(public_key, data, work))
            else:
                archive.writestr(f"{top}/{name}", data)
    return path


def dir_package(path: Path, folder: Path, public_key: str, top: str = "idbx-2026-10-04") -> Path:
    """A package of every file in `folder` (for the public fixtures)."""
    members = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    return make_package(path, members, public_key, top)


def decrypted_packages(world, sundays: list[str], base: Path, public_key: str, private_key: str,
                       passphrase: str, *, with_failed: bool) -> dict[str, tuple]:
    """The world's packages of `sundays`, written, encrypted, then extracted and decrypted: sunday ->
    (manifest, folder)."""
    from datetime import date

    from edx_assets.edx import course_package
    from edx_assets.local.sample import write_package

    out = {}
    with crypto.gpg_home() as home:
        enc = SenderKeyring(home, None)
        recipient = enc.import_key(public_key)[0]
        with crypto.keyring(private_key, passphrase) as ring:
            for sunday in sundays:
                zip_path = base / f"idbx-{sunday}.zip"
                write_package(world, date.fromisoformat(sunday), enc, recipient, zip_path, base,
                              with_failed=with_failed)
                folder = base / sunday
                out[sunday] = (course_package.extract_and_decrypt(zip_path, folder, ring), folder)
    return out
