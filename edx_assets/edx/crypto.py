"""Streaming GPG decryption (and the encryption the sample generator needs), over the real `gpg`.

A private GNUPGHOME (mode 0700) is made per use and removed afterwards, with its gpg-agent stopped.
Plaintext never passes through memory whole: gpg's output is handed chunk by chunk to a sink that
inflates (for gzip payloads) and writes to a private file (0600).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gnupg

CHUNK = 1 << 16


class DecryptionError(RuntimeError):
    """A file could not be decrypted: wrong key, corrupt packet, not OpenPGP, bad passphrase."""


class CorruptPayloadError(RuntimeError):
    """The decrypted payload is not what it should be (for example a truncated gzip stream)."""


@dataclass(frozen=True)
class DecryptedFile:
    path: Path
    bytes: int
    lines: int
    sha256: str


def open_private(path: Path) -> int:
    """Open `path` for writing with mode 0600 whatever the umask, truncating it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return fd


class _FileSink:
    """Receives plaintext chunks, optionally gunzips them, writes, hashes and counts lines."""

    def __init__(self, path: Path, gunzip: bool) -> None:
        self.fd = open_private(path)
        self.gunzip = gunzip
        self.inflater = zlib.decompressobj(wbits=31) if gunzip else None
        self.sha = hashlib.sha256()
        self.bytes = 0
        self.lines = 0
        self.last_byte = b""
        self.seen_input = False
        self.member_open = False

    def _write(self, data: bytes) -> None:
        if not data:
            return
        self.sha.update(data)
        self.bytes += len(data)
        self.lines += data.count(b"\n")
        self.last_byte = data[-1:]
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def __call__(self, chunk: bytes) -> bool:
        if chunk:
            self.seen_input = True
        if self.inflater is None:
            self._write(chunk)
            return False
        while chunk:
            self.member_open = True
            self._write(self.inflater.decompress(chunk))
            if self.inflater.eof:
                # Concatenated gzip members are valid gzip: go on with the next member, if any.
                self.member_open = False
                chunk = self.inflater.unused_data
                self.inflater = zlib.decompressobj(wbits=31)
            else:
                chunk = b""
        return False  # tell python-gnupg not to buffer the data

    def close(self) -> None:
        os.close(self.fd)

    @property
    def gzip_complete(self) -> bool:
        """True when at least one gzip member was read and the last one reached its end marker."""
        return self.seen_input and not self.member_open

    def counted_lines(self) -> int:
        """Lines, counting a last line without a trailing newline."""
        return self.lines + (1 if self.bytes and self.last_byte != b"\n" else 0)


class GpgKeyring:
    """A private, temporary GNUPGHOME holding the partner's private key."""

    def __init__(self, home: Path, passphrase: str | None) -> None:
        self.home = home
        self.passphrase = passphrase
        self.gpg = gnupg.GPG(gnupghome=str(home))
        self.gpg.encoding = "utf-8"
        self.gpg.buffer_size = CHUNK

    def clone(self) -> GpgKeyring:
        """Another handle on the same keyring, for another thread (python-gnupg keeps the data callback of a
        decryption on the object, so two decryptions at once need two objects)."""
        return GpgKeyring(self.home, self.passphrase)

    # -- keys ------------------------------------------------------------------------------------

    def import_key(self, armored: str) -> list[str]:
        result = self.gpg.import_keys(armored)
        if not result.fingerprints:
            raise DecryptionError("the GPG private key could not be imported (not an OpenPGP key block)")
        return list(result.fingerprints)

    def secret_key_count(self) -> int:
        return len(self.gpg.list_keys(secret=True))

    # -- decryption ------------------------------------------------------------------------------

    def decrypt_to(self, source: Path, target: Path, *, gunzip: bool) -> DecryptedFile:
        """Decrypt `source` into the private file `target`, inflating a gzip payload on the way."""
        sink = _FileSink(target, gunzip)
        self.gpg.on_data = sink
        try:
            result = self.gpg.decrypt_file(str(source), passphrase=self.passphrase)
        except zlib.error as exc:  # raised by the sink in gpg's reader thread, re-raised below
            result = None
            failure: BaseException | None = exc
        else:
            failure = getattr(result, "on_data_failure", None)
        finally:
            self.gpg.on_data = None
            sink.close()
        try:
            if failure is not None:
                if isinstance(failure, zlib.error):
                    raise CorruptPayloadError(f"{source.name}: the decrypted data is not valid gzip ({failure})")
                raise failure
            assert result is not None
            if not result.ok:
                raise DecryptionError(f"{source.name}: gpg could not decrypt it: {_gpg_reason(result)}")
            if gunzip and not sink.gzip_complete:
                raise CorruptPayloadError(f"{source.name}: the gzip stream inside is truncated")
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return DecryptedFile(target, sink.bytes, sink.counted_lines(), sink.sha.hexdigest())


def _gpg_reason(result: gnupg.Crypt) -> str:
    stderr = result.stderr or ""
    if "No secret key" in stderr or "NO_SECKEY" in stderr:
        return "no secret key for it (encrypted to another key)"
    if "no valid OpenPGP data found" in stderr or "NODATA" in stderr:
        return "not OpenPGP data (plaintext or another format where ciphertext was expected)"
    if "BAD_PASSPHRASE" in stderr or "Bad passphrase" in stderr:
        return "wrong passphrase for the private key"
    if "DECRYPTION_FAILED" in stderr or "decryption failed" in stderr:
        return "decryption failed (tampered or corrupt ciphertext)"
    return result.status or "unknown gpg error"


AGENT_S2K_COUNT = 65536  # gpg-agent's least S2K iteration count (the temporary home's copy of the key)


@contextlib.contextmanager
def gpg_home(prefix: str = "edx-gnupg-") -> Iterator[Path]:
    """A private GNUPGHOME (0700) that is removed, gpg-agent included, when the block ends."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(home, 0o700)
    try:
        yield home
    finally:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                ["gpgconf", "--homedir", str(home), "--kill", "all"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=10,
                check=False,
            )
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def keyring(private_key: str, passphrase: str | None) -> Iterator[GpgKeyring]:
    """A keyring holding `private_key` (ASCII-armored) for the duration of the block."""
    with gpg_home() as home:
        # gpg-agent re-protects an imported key with its own S2K, calibrated to ~100 ms of hashing, and pays it
        # again at every use: 0.4 s of agent time per file, most of a week's package (a hundred members). This
        # copy lives in a private home removed with its agent when the block ends, so the least count is used;
        # the key as delivered keeps its own protection.
        (home / "gpg-agent.conf").write_text(f"s2k-count {AGENT_S2K_COUNT}\n")
        ring = GpgKeyring(home, passphrase)
        ring.import_key(private_key)
        if ring.secret_key_count() == 0:
            raise DecryptionError("the GPG key given holds no private key: decryption needs the private half")
        yield ring

