"""What every report asset shares: its partitions and deps, file publishing and metadata."""

from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.assets.common import MONGO_POOL, OWNERS, TRANSIENT_RETRY, WEEKLY_FRESHNESS, markdown_table
from edx_assets.edx.reports.courses import ReportCourse, report_courses
from edx_assets.edx.reports.csv_out import CsvResult
from edx_assets.partitions import partition_day, weekly_partitions
from edx_assets.resources import ReportsResource

GROUP = "reports"
KINDS = {"mongodb", "csv"}
REPORT_OWNERS = OWNERS

# A week's reports use the events of the seven days before its Sunday: those are loaded by then.
PREVIOUS_WEEK_OF_EVENTS = dg.TimeWindowPartitionMapping(
    start_offset=-1, end_offset=-1, allow_nonexistent_upstream_partitions=True
)
EVENTS_OF_PREVIOUS_WEEK = dg.AssetDep("eventos", partition_mapping=PREVIOUS_WEEK_OF_EVENTS)


def weekly_report(*, deps: list, uses_events: bool = False, kinds: set[str] | None = None,
                  check_specs: list[dg.AssetCheckSpec] | None = None):
    """The asset decorator every weekly report shares: partitions, group, owners, freshness, retries and
    the `mongodb` pool. `uses_events` adds the dependency on the previous week's `eventos` days."""
    return dg.asset(
        partitions_def=weekly_partitions,
        deps=[*deps, *([EVENTS_OF_PREVIOUS_WEEK] if uses_events else [])],
        group_name=GROUP,
        kinds=kinds or KINDS,
        owners=REPORT_OWNERS,
        freshness_policy=WEEKLY_FRESHNESS,
        retry_policy=TRANSIENT_RETRY,
        pool=MONGO_POOL,
        check_specs=check_specs,
        code_version="1",
    )


def reference_time(partition: str) -> datetime:
    """Activity is measured up to the start of the week's Sunday (events loaded by then)."""
    day = partition_day(partition)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def courses_for(db, reports: ReportsResource) -> list[ReportCourse]:
    courses = report_courses(db, reports.course_metadata_file)
    if not courses:
        raise dg.Failure(description="the `courses` catalog is empty: materialize course_collections first",
                         allow_retries=False)
    return courses


def file_metadata(result: CsvResult, s3_uri: str | None = None) -> dict:
    schema = dg.TableSchema(columns=[dg.TableColumn(name, "string") for name in result.columns])
    metadata = {
        "dagster/row_count": result.rows,
        "dagster/column_schema": schema,
        "path": dg.MetadataValue.path(str(result.path)),
        "preview": markdown_table(result.columns, result.preview, limit=10),
    }
    if s3_uri:
        metadata["s3_uri"] = dg.MetadataValue.url(s3_uri)
    return metadata


def publish(result: CsvResult, reports: ReportsResource, s3: S3Resource, week: str) -> dict:
    s3_uri = reports.upload(s3.get_client(), result, week) if reports.s3_bucket else None
    return file_metadata(result, s3_uri)


def window_days(partition: str) -> tuple[str, str]:
    day = partition_day(partition)
    return (day - timedelta(days=7)).isoformat(), (day - timedelta(days=1)).isoformat()
