"""Where the course lineage's files live in the workspace (names from the domain's layout)."""

import json
from pathlib import Path

import dagster as dg

from edx_assets.config import EdxConfig
from edx_assets.defs.common import Delivery
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


def course_package_delivery(config: EdxConfig, weekly: dg.PartitionsDefinition) -> Delivery:
    def partition_of(key: str) -> str | None:
        parsed = layout.parse_course_package_key(key)
        return parsed[1].isoformat() if parsed and parsed[0] == config.org else None

    return Delivery(asset="s3_course_package", raw_asset="raw_course_package", what="week's package",
                    landing_folder="courses",
                    bucket=config.courses_bucket, prefix=f"{config.org}-", partitions=weekly,
                    key_of=lambda day: layout.course_package_key(config.org, day), partition_of=partition_of)
