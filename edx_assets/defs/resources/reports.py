"""Report options as a resource: personal-data policy, optional S3 copy, the course metadata file."""

from __future__ import annotations

import tempfile
from pathlib import Path

import dagster as dg
import polars as pl

from edx_assets.edx.reports import roles, small_cells
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
        if self.pii == "pseudonymize" and self.store_pii != "keep":
            # MongoDB already holds the same pseudonyms and no names or e-mails: hashing them again would
            # break the joins with what is stored.
            return PiiPolicy("include")
        return PiiPolicy(self.pii, self.pseudonym_key)

    def upload(self, s3_client, result: CsvResult, week: str) -> str | None:
        """Copy a report file to s3://bucket/prefix/week/name when a bucket is configured."""
        return self.upload_path(s3_client, Path(result.path), week, "text/csv; charset=utf-8")

    def upload_path(self, s3_client, path: Path, week: str, content_type: str, folder: str = "") -> str | None:
        """Copy a file to s3://bucket/prefix/week/[folder/]name when a bucket is configured. An aggregate
        table (CSV or Parquet) leaves with its cells of fewer than EDX_MIN_CELL learners emptied and marked;
        the local file stays whole for the partner's own analysts."""
        if not self.s3_bucket:
            return None
        key = "/".join(p for p in (self.s3_prefix.strip("/"), week, folder, path.name) if p)
        with tempfile.TemporaryDirectory(prefix="edx-upload-") as aside:
            sent = small_cells.leaving_copy(path, self.min_cell, Path(aside))
            s3_client.upload_file(str(sent), self.s3_bucket, key, ExtraArgs={"ContentType": content_type})
        return f"s3://{self.s3_bucket}/{key}"
