"""Dagster resources: MongoDB, GPG, the working directory; S3 is dagster-aws' S3Resource."""

from edx_assets.resources.gpg import GpgResource
from edx_assets.resources.mongo import MongoResource
from edx_assets.resources.reports import ReportsResource
from edx_assets.resources.workspace import WorkspaceResource

__all__ = ["GpgResource", "MongoResource", "ReportsResource", "WorkspaceResource"]
