"""The working directory: landing copies of S3 objects, decrypted files (private), report files."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg


class WorkspaceResource(dg.ConfigurableResource):
    """Where files live between stages (EDX_DATA_DIR). Decrypted files sit under a 0700 folder."""

    data_dir: str

    def _dir(self, *parts: str, private: bool = False) -> Path:
        path = Path(self.data_dir).joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        if private:
            os.chmod(path, 0o700)
        return path

    def landing_dir(self, kind: str) -> Path:
        return self._dir("landing", kind)

    def decrypted_dir(self, kind: str, partition: str) -> Path:
        self._dir("decrypted", private=True)
        return self._dir("decrypted", kind, partition, private=True)

    def reports_dir(self, partition: str) -> Path:
        return self._dir("reports", partition)

    def reports_root(self) -> Path:
        return self._dir("reports")

    def warehouse_dir(self) -> Path:
        return self._dir("warehouse")

    def failures_log(self) -> Path:
        """JSON lines, one per failed run (job, partition, assets, error), written by a sensor."""
        return self._dir("logs") / "run_failures.jsonl"
