"""Streaming decryption with the real gpg and the stack's generated RSA key."""

import gzip
import os
import stat
import zlib
from pathlib import Path

import pytest

from edx_assets.edx import crypto
from edx_assets.local.gpg_tools import SenderKeyring

pytestmark = pytest.mark.services  # real gpg, mongod or S3


@pytest.fixture(scope="module")
def other_key() -> tuple[str, str]:
    """A second key pair: what a member encrypted to someone else looks like."""
    with crypto.gpg_home() as home:
        ring = SenderKeyring(home, None)
        fingerprint = ring.generate_key("Someone Else", "else@example.invalid", "other-pass")
        return ring.export_public(fingerprint), ring.export_private(fingerprint, "other-pass")


def _encrypt(public_key: str, plain: Path, target: Path) -> Path:
    with crypto.gpg_home() as home:
        ring = SenderKeyring(home, None)
        recipient = ring.import_key(public_key)[0]
        ring.encrypt_file(plain, target, recipient)
    return target


def test_gzip_payload_round_trip_streams_to_a_private_file(tmp_path, public_key, private_key, passphrase):
    lines = [f'{{"n": {i}, "text": "línea {i}"}}\n'.encode() for i in range(5000)]
    plain = tmp_path / "events.log.gz"
    with gzip.open(plain, "wb") as handle:
        handle.writelines(lines)
    encrypted = _encrypt(public_key, plain, tmp_path / "events.log.gz.gpg")
    assert encrypted.read_bytes()[:2] != b"\x1f\x8b"  # really ciphertext

    old_umask = os.umask(0o000)  # even a permissive umask must not make the file readable by others
    try:
        with crypto.keyring(private_key, passphrase) as ring:
            result = ring.decrypt_to(encrypted, tmp_path / "out" / "events.log", gunzip=True)
    finally:
        os.umask(old_umask)
    assert result.path.read_bytes() == b"".join(lines)
    assert result.lines == 5000
    assert result.bytes == len(b"".join(lines))
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600


def test_concatenated_gzip_members_are_read_whole(tmp_path, public_key, private_key, passphrase):
    plain = tmp_path / "multi.gz"
    plain.write_bytes(gzip.compress(b"a\nb\n") + gzip.compress(b"c\n"))
    encrypted = _encrypt(public_key, plain, tmp_path / "multi.gz.gpg")
    with crypto.keyring(private_key, passphrase) as ring:
        result = ring.decrypt_to(encrypted, tmp_path / "multi.log", gunzip=True)
    assert result.path.read_bytes() == b"a\nb\nc\n"
    assert result.lines == 3


def test_truncated_gzip_is_a_clear_error_and_leaves_no_file(tmp_path, public_key, private_key, passphrase):
    data = gzip.compress(b"x" * 100_000 + b"\n" + os.urandom(50_000))
    plain = tmp_path / "cut.log.gz"
    plain.write_bytes(data[: len(data) // 2])
    encrypted = _encrypt(public_key, plain, tmp_path / "cut.log.gz.gpg")
    target = tmp_path / "cut.log"
    with crypto.keyring(private_key, passphrase) as ring, pytest.raises(
        crypto.CorruptPayloadError, match=r"cut\.log\.gz\.gpg.*truncated"
    ):
        ring.decrypt_to(encrypted, target, gunzip=True)
    assert not target.exists()


def test_not_gzip_inside_is_a_clear_error(tmp_path, public_key, private_key, passphrase):
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"this is not gzip\n")
    encrypted = _encrypt(public_key, plain, tmp_path / "plain.txt.gpg")
    with crypto.keyring(private_key, passphrase) as ring, pytest.raises(
        crypto.CorruptPayloadError, match="not valid gzip"
    ):
        ring.decrypt_to(encrypted, tmp_path / "plain.out", gunzip=True)


def test_member_encrypted_to_another_key(tmp_path, other_key, private_key, passphrase):
    plain = tmp_path / "t.sql"
    plain.write_text("id\n1\n")
    encrypted = _encrypt(other_key[0], plain, tmp_path / "t.sql.gpg")
    with crypto.keyring(private_key, passphrase) as ring, pytest.raises(
        crypto.DecryptionError, match=r"t\.sql\.gpg.*another key"
    ):
        ring.decrypt_to(encrypted, tmp_path / "t.out", gunzip=False)


def test_tampered_ciphertext(tmp_path, public_key, private_key, passphrase):
    plain = tmp_path / "t.sql"
    plain.write_bytes(os.urandom(20_000))
    encrypted = _encrypt(public_key, plain, tmp_path / "t.sql.gpg")
    data = bytearray(encrypted.read_bytes())
    data[len(data) // 2] ^= 0xFF
    encrypted.write_bytes(bytes(data))
    target = tmp_path / "t.out"
    with crypto.keyring(private_key, passphrase) as ring, pytest.raises(crypto.DecryptionError, match=r"t\.sql\.gpg"):
        ring.decrypt_to(encrypted, target, gunzip=False)
    assert not target.exists()


def test_plaintext_where_ciphertext_is_expected(tmp_path, private_key, passphrase):
    source = tmp_path / "events.log.gz.gpg"
    source.write_bytes(gzip.compress(b'{"a": 1}\n'))
    with crypto.keyring(private_key, passphrase) as ring, pytest.raises(
        crypto.DecryptionError, match="not OpenPGP data"
    ):
        ring.decrypt_to(source, tmp_path / "x", gunzip=True)


def test_wrong_passphrase(tmp_path, public_key, private_key):
    plain = tmp_path / "t.sql"
    plain.write_text("id\n")
    encrypted = _encrypt(public_key, plain, tmp_path / "t.sql.gpg")
    with crypto.keyring(private_key, "not-the-passphrase") as ring, pytest.raises(crypto.DecryptionError):
        ring.decrypt_to(encrypted, tmp_path / "t.out", gunzip=False)


def test_public_key_alone_cannot_decrypt(public_key):
    with pytest.raises(crypto.DecryptionError, match="private"), crypto.keyring(public_key, None):
        pass


def test_keyring_home_is_private_and_removed(private_key, passphrase):
    with crypto.keyring(private_key, passphrase) as ring:
        home = ring.home
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert not home.exists()


def test_zlib_is_what_reports_bad_gzip():
    # The sink relies on zlib's gzip mode (wbits=31) rejecting a non-gzip header.
    with pytest.raises(zlib.error):
        zlib.decompressobj(wbits=31).decompress(b"not gzip")
