"""GPG as a Dagster resource: a private keyring made per use from the partner's private key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from edx_assets.edx import crypto


class GpgResource(dg.ConfigurableResource):
    """Decrypts the delivery with the partner's private key (from a file or EDX_GPG_PRIVATE_KEY)."""

    private_key_file: str | None = None
    private_key: str | None = None
    passphrase: str | None = None

    def _key_text(self) -> str:
        if self.private_key:
            return self.private_key
        if self.private_key_file:
            path = Path(self.private_key_file)
            if not path.is_file():
                raise crypto.DecryptionError(f"the GPG private key file {path} does not exist")
            return path.read_text()
        raise crypto.DecryptionError(
            "no GPG private key configured: set EDX_GPG_PRIVATE_KEY_FILE or EDX_GPG_PRIVATE_KEY"
        )

    @contextmanager
    def keyring(self) -> Iterator[crypto.GpgKeyring]:
        """A temporary private GNUPGHOME holding the key; removed (agent stopped) afterwards."""
        with crypto.keyring(self._key_text(), self.passphrase) as ring:
            yield ring
