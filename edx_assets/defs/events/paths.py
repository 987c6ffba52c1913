"""Where the events lineage's files live in the workspace (names from the domain's layout)."""

from pathlib import Path

import dagster as dg

from edx_assets.config import EdxConfig
from edx_assets.defs.common import Delivery
from edx_assets.defs.partitions import partition_day
from edx_assets.defs.resources import WorkspaceResource
from edx_assets.edx import layout


def landed_event_log(config: EdxConfig, workspace: WorkspaceResource, partition: str) -> Path:
    return workspace.landing_dir("events") / layout.event_log_file_name(config.org, config.site,
                                                                      partition_day(partition))


def decrypted_event_log_path(config: EdxConfig, workspace: WorkspaceResource, partition: str) -> Path:
    name = layout.decrypted_event_log_name(config.org, config.site, partition_day(partition))
    return workspace.decrypted_dir("events", partition) / name


def event_log_delivery(config: EdxConfig, daily: dg.PartitionsDefinition) -> Delivery:
    def partition_of(key: str) -> str | None:
        parsed = layout.parse_event_log_key(key)
        return parsed[2].isoformat() if parsed and parsed[:2] == (config.org, config.site) else None

    return Delivery(asset="s3_event_log", raw_asset="raw_event_log", what="day's tracking log", landing_folder="events",
                    bucket=config.events_bucket, prefix=f"{config.org}/{config.site}/events/", partitions=daily,
                    key_of=lambda day: layout.event_log_key(config.org, config.site, day), partition_of=partition_of)
