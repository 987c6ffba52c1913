"""decrypted_event_log: the day's tracking log in clear text, in a private file."""

from pathlib import Path

import dagster as dg

from edx_assets.config import EdxConfig
from edx_assets.defs.common import OWNERS, Build, permanent_failures
from edx_assets.defs.events.paths import decrypted_event_log_path, landed_event_log
from edx_assets.defs.resources import GpgResource, WorkspaceResource
from edx_assets.defs.versions import VERSIONED
from edx_assets.edx import handoff
from edx_assets.edx.crypto import DecryptedFile


def decrypt_event_log(config: EdxConfig, gpg: GpgResource, workspace: WorkspaceResource,
                      partition: str) -> DecryptedFile:
    """Decrypt and gunzip the landed file into a 0600 file, with its sidecar (bytes, lines, sha256)."""
    source: Path = landed_event_log(config, workspace, partition)
    with permanent_failures():
        if not source.exists():
            raise FileNotFoundError(f"{source.name} is not in the landing area: materialize raw_event_log first")
        with gpg.keyring() as ring:
            result = ring.decrypt_to(source, decrypted_event_log_path(config, workspace, partition), gunzip=True)
    handoff.write_handoff(result)
    return result


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @dg.asset(partitions_def=ctx.daily, deps=["raw_event_log"], group_name="decrypted", kinds={"gpg", "file"},
              owners=OWNERS, code_version=VERSIONED)
    def decrypted_event_log(context: dg.AssetExecutionContext, gpg: GpgResource,
                            workspace: WorkspaceResource) -> dg.MaterializeResult:
        """The day's tracking log in clear text (GPG-decrypted, then gunzipped), one JSON event per line.

        Written by streaming to a private file (mode 0600) under EDX_DATA_DIR/decrypted, with a sidecar
        holding its size, line count and sha256 for `eventos`; `eventos` removes both after loading
        unless EDX_KEEP_DECRYPTED is set.
        """
        result = decrypt_event_log(config, gpg, workspace, context.partition_key)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.path)),
                "bytes": result.bytes,
                "dagster/row_count": result.lines,
                "lines": result.lines,
                "sha256": result.sha256,
            },
            data_version=dg.DataVersion(result.sha256),
        )

    return dg.Definitions(assets=[decrypted_event_log])
