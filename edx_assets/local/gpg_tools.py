"""The sender's side of GPG, for the sample generator, the local stack and the tests: make a key pair,
export it, encrypt a file to a recipient. Production code only decrypts (edx_assets.edx.crypto)."""

from __future__ import annotations

from pathlib import Path

from edx_assets.edx.crypto import DecryptionError, GpgKeyring


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
