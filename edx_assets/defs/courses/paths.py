"""Where the course lineage's files live in the workspace (names from the domain's layout)."""

import json
from pathlib import Path

from edx_assets.config import EdxConfig
from edx_assets.defs.partitions import partition_day
from edx_assets.defs.resources import WorkspaceResource
from edx_assets.edx import layout
from edx_assets.edx.course_package import Manifest

MANIFEST = "manifest.json"


def package_name(config: EdxConfig, partition: str) -> str:
    return layout.course_package_key(config.org, partition_day(partition))


def landed_package(config: EdxConfig, workspace: WorkspaceResource, partition: str) -> Path:
    return workspace.landing_dir("courses") / package_name(config, partition)


def decrypted_package_dir(config: EdxConfig, workspace: WorkspaceResource, partition: str) -> Path:
    return workspace.decrypted_dir("courses", partition) / package_name(config, partition).removesuffix(".zip")


def read_manifest(config: EdxConfig, workspace: WorkspaceResource, partition: str) -> tuple[Manifest, Path] | None:
    """The decrypted package's manifest and folder, or None when it is not decrypted (any more)."""
    folder = decrypted_package_dir(config, workspace, partition)
    path = folder / MANIFEST
    if not path.exists():
        return None
    return Manifest.from_dict(json.loads(path.read_text())), folder
