"""Report options as a resource: personal-data policy, optional S3 copy, the course metadata file."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from edx_assets.edx.reports import publish, roles
from edx_assets.edx.reports.csv_out import CsvResult
from edx_assets.edx.reports.pii import PiiPolicy


class ReportsResource(dg.ConfigurableResource):
    """How report files are written: EDX_REPORTS_PII (include | pseudonymize | drop) for names, emails
    and usernames; EDX_REPORTS_BUCKET/EDX_REPORTS_PREFIX to also upload them; EDX_COURSE_METADATA_FILE."""

    pii: str = "include"
    pseudonym_key: str | None = None
    s3_bucket: str | None = None
    s3_prefix: str = "reports"
    course_metadata_file: str | None = None
    include_course_team: bool = False  # EDX_REPORTS_INCLUDE_COURSE_TEAM: aggregates keep the course team
    lang: str = "es"  # EDX_REPORTS_LANG: the dashboards' language and number format (es | en)
    min_cell: int = 5  # EDX_MIN_CELL: what leaves the platform hides cells of fewer learners
    store_pii: str = "keep"  # EDX_STORE_PII: what MongoDB holds (pseudonyms are not pseudonymized again)

    def team(self, db, course) -> pl.Series | None:
        """The course team's user ids the per-course aggregates leave out (None: keep everyone)."""
        return None if self.include_course_team else roles.team_ids(db, course)

    def policy(self) -> PiiPolicy:
        return PiiPolicy.for_reports(self.pii, self.pseudonym_key, self.store_pii)

    def upload(self, s3_client, result: CsvResult, week: str) -> str | None:
        """Copy a report file to s3://bucket/prefix/week/name when a bucket is configured."""
        return self.upload_path(s3_client, Path(result.path), week)

    def upload_path(self, s3_client, path: Path, week: str, folder: str = "") -> str | None:
        """Copy what may leave of a file (edx.reports.publish) to s3://bucket/prefix/week/[folder/]name when a
        bucket is configured."""
        if not self.s3_bucket:
            return None
        key = publish.object_key(self.s3_prefix, week, path.name, folder)
        with publish.leaving_copy(path, self.min_cell) as sent:
            s3_client.upload_file(str(sent), self.s3_bucket, key, ExtraArgs={"ContentType": publish.content_type(path)})
        return f"s3://{self.s3_bucket}/{key}"
