"""The sender's side of GPG, for the sample generator, the local stack and the tests: make a key pair,
export it, encrypt a file to a recipient, make a package of members encrypted one by one. Production code only decrypts (edx_assets.edx.crypto)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from edx_assets.edx.crypto import DecryptionError, GpgKeyring, gpg_home


class SenderKeyring(GpgKeyring):
    """A keyring that can also generate keys and encrypt, as edX does before delivering."""

    def encrypt_file(self, source: Path, target: Path, recipient: str) -> None:
        with source.open("rb") as handle:
            result = self.gpg.encrypt_file(
                handle, [recipient], output=str(target), armor=False, always_trust=True
            )
        if not result.ok:
            raise DecryptionError(f"gpg could not encrypt {source.name}: {result.status}")

    def generate_key(self, name: str, email: str, passphrase: str, bits: int = 2048) -> str:
        params = self.gpg.gen_key_input(
            key_type="RSA",
            key_length=bits,
            name_real=name,
            name_email=email,
            passphrase=passphrase,
            expire_date=0,
        )
        key = self.gpg.gen_key(params)
        if not key.fingerprint:
            raise DecryptionError(f"gpg could not generate a key: {key.stderr[-400:]}")
        return str(key.fingerprint)

    def export_private(self, fingerprint: str, passphrase: str) -> str:
        return str(self.gpg.export_keys(fingerprint, secret=True, passphrase=passphrase, armor=True))

    def export_public(self, fingerprint: str) -> str:
        return str(self.gpg.export_keys(fingerprint, armor=True))


def encrypt_bytes(public_key: str, data: bytes, workdir: Path) -> bytes:
    """`data` encrypted to `public_key` as edX encrypts a file (binary OpenPGP), through files in `workdir`."""
    plain = workdir / "plain.tmp"
    plain.write_bytes(data)
    with gpg_home() as home:
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
