"""Personal data in MongoDB as a resource: the EDX_STORE_PII mode (with the pseudonym key, a secret) and the
partner's own list of retired learners (EDX_RETIRED_LEARNERS_FILE)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from edx_assets.edx.privacy import StorePolicy


class PrivacyResource(dg.ConfigurableResource):
    """EDX_STORE_PII (keep | pseudonymize | minimize) for what `Eventos` and the course collections hold;
    EDX_RETIRED_LEARNERS_FILE: user ids whose data is removed everywhere (besides edX's retired users)."""

    store_pii: str = "keep"
    pseudonym_key: str | None = None
    retired_learners_file: str | None = None

    def store(self) -> StorePolicy:
        return StorePolicy(self.store_pii, self.pseudonym_key)

    def retired_file(self) -> Path | None:
        return Path(self.retired_learners_file) if self.retired_learners_file else None
