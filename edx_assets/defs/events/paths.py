"""Where the events lineage's files live in the workspace (names from the domain's layout)."""

from pathlib import Path

from edx_assets.config import EdxConfig
from edx_assets.defs.partitions import partition_day
from edx_assets.defs.resources import WorkspaceResource
from edx_assets.edx import layout


def landed_event_log(config: EdxConfig, workspace: WorkspaceResource, partition: str) -> Path:
    return workspace.landing_dir("events") / layout.event_log_file_name(config.org, config.site,
                                                                      partition_day(partition))


def decrypted_event_log_path(config: EdxConfig, workspace: WorkspaceResource, partition: str) -> Path:
    name = layout.decrypted_event_log_name(config.org, config.site, partition_day(partition))
    return workspace.decrypted_dir("events", partition) / name
