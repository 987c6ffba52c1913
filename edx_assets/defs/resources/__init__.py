"""Dagster resources: MongoDB, GPG, the working directory, report options; S3 is dagster-aws' S3Resource
(its client built once per process: CachedS3Resource). `build_resources(config)` makes them from the
configuration; secrets stay `dg.EnvVar`."""

from __future__ import annotations

import dagster as dg

from edx_assets.config import EdxConfig
from edx_assets.defs.resources.gpg import GpgResource
from edx_assets.defs.resources.mongo import MongoResource
from edx_assets.defs.resources.privacy import PrivacyResource
from edx_assets.defs.resources.reports import ReportsResource
from edx_assets.defs.resources.s3 import CachedS3Resource
from edx_assets.defs.resources.workspace import WorkspaceResource

__all__ = ["CachedS3Resource", "GpgResource", "MongoResource", "PrivacyResource", "ReportsResource", "WorkspaceResource", "build_resources"]


def build_resources(config: EdxConfig) -> dict[str, object]:
    def secret(name: str) -> dg.EnvVar | None:
        """Read at run time, never shown in the UI; None when the environment does not set it."""
        return dg.EnvVar(name) if name in config.secrets_set else None

    return {
        "s3": CachedS3Resource(
            endpoint_url=config.s3_endpoint_url,
            region_name=config.aws_region,
            aws_access_key_id=secret("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=secret("AWS_SECRET_ACCESS_KEY"),
            max_attempts=5,
        ),
        "mongo": MongoResource(uri=dg.EnvVar("EDX_MONGO_URI"), database=config.mongo_db,
                               write_concern=config.mongo_write_concern,
                               read_preference=config.mongo_read_preference),
        "gpg": GpgResource(
            private_key_file=config.gpg_private_key_file,
            private_key=secret("EDX_GPG_PRIVATE_KEY"),
            passphrase=secret("EDX_GPG_PASSPHRASE"),
        ),
        "workspace": WorkspaceResource(data_dir=config.data_dir),
        "reports": ReportsResource(
            pii=config.reports_pii,
            pseudonym_key=secret("EDX_REPORTS_PSEUDONYM_KEY"),
            s3_bucket=config.reports_bucket,
            s3_prefix=config.reports_prefix,
            course_metadata_file=config.course_metadata_file,
            include_course_team=config.reports_include_course_team,
            lang=config.reports_lang,
            min_cell=config.min_cell,
            store_pii=config.store_pii,
        ),
        "privacy": PrivacyResource(
            store_pii=config.store_pii,
            pseudonym_key=secret("EDX_REPORTS_PSEUDONYM_KEY"),
            retired_learners_file=config.retired_learners_file,
        ),
    }
