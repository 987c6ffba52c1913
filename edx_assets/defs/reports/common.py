"""What every report asset shares: its partitions and deps, file publishing and metadata."""

import inspect
from collections.abc import Callable
from datetime import date, datetime

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource
from pymongo.database import Database

from edx_assets.defs.common import (
    MONGO_POOL,
    OWNERS,
    TRANSIENT_RETRY,
    Build,
    markdown_table,
    permanent_failures,
    table_schema,
)
from edx_assets.defs.partitions import partition_day
from edx_assets.defs.reports import paths
from edx_assets.defs.resources import MongoResource, ReportsResource
from edx_assets.defs.versions import VERSIONED
from edx_assets.edx.reports import columns
from edx_assets.edx.reports.courses import ReportCourse, report_courses
from edx_assets.edx.reports.csv_out import CsvResult, write_frame
from edx_assets.edx.reports.risk import sunday_start

GROUP = "reports"
KINDS = {"mongodb", "csv"}
REPORT_OWNERS = OWNERS

# The weekly reports that read events (or learner days) read every day before the week's Sunday (the
# learner's whole history, e.g. first event, days active), so that is what they declare: every day before
# the Sunday (a window reaching back further than any delivery; days that do not exist are left out).
HISTORY_WEEKS = 52 * 30


def events_before_the_week() -> dg.TimeWindowPartitionMapping:
    return dg.TimeWindowPartitionMapping(
        start_offset=-HISTORY_WEEKS, end_offset=-1, allow_nonexistent_upstream_partitions=True
    )


def the_week_before(weeks: int = 1) -> dg.TimeWindowPartitionMapping:
    """The days of the `weeks` weeks before the week's Sunday (a weekly partition's key is its Sunday)."""
    return dg.TimeWindowPartitionMapping(start_offset=-weeks, end_offset=-1, allow_nonexistent_upstream_partitions=True)


def weekly_report(ctx: Build, *, deps: list, uses_events: bool = False, recent_learner_days: bool = False,
                  kinds: set[str] | None = None, check_specs: list[dg.AssetCheckSpec] | None = None,
                  output_required: bool = True):
    """The asset decorator every weekly report shares: partitions, group, owners, freshness, retries and
    the `mongodb` pool. Every weekly report runs after `retired_learners` (it purges them). `uses_events` adds the dependency on every `eventos` day before the week's Sunday;
    `recent_learner_days` on the `learner_day` days of the five weeks before it (the 30-day counts)."""
    events = [dg.AssetDep("eventos", partition_mapping=events_before_the_week())] if uses_events else []
    recent = [dg.AssetDep("learner_day", partition_mapping=the_week_before(5))] if recent_learner_days else []
    return dg.asset(
        partitions_def=ctx.weekly,
        deps=[*deps, "retired_learners", *events, *recent],  # (after retired learners are purged)
        group_name=GROUP,
        kinds=kinds or KINDS,
        owners=REPORT_OWNERS,
        freshness_policy=ctx.weekly_freshness,
        retry_policy=TRANSIENT_RETRY,
        pool=MONGO_POOL,
        check_specs=check_specs,
        code_version=VERSIONED,
        output_required=output_required,
    )


def week_sunday(partition: str) -> date:
    """The week's Sunday: learner days before it are counted."""
    return partition_day(partition)


def daily_table(ctx: Build, *, deps: list, kinds: set[str], check_specs: list[dg.AssetCheckSpec]):
    """The asset decorator of the daily tables made from a day's events (learner_day, activity_daily): daily
    partitions, the reports group, owners, the events' freshness, retries and the `mongodb` pool."""
    return dg.asset(partitions_def=ctx.daily, deps=deps, group_name=GROUP, kinds=kinds, owners=REPORT_OWNERS,
                    freshness_policy=ctx.events_freshness, retry_policy=TRANSIENT_RETRY, pool=MONGO_POOL,
                    check_specs=check_specs, code_version=VERSIONED)


def with_definitions(text: str):
    """Append a domain module's statement of its definitions to the asset's docstring (what the UI shows),
    so that they are written once, in edx/, and shown where analysts look."""

    def described(fn):
        fn.__doc__ = f"{inspect.cleandoc(fn.__doc__ or '')}\n\n{text.strip()}"
        return fn

    return described


def carried_week(ctx: Build, *, asset: str, daily: str):
    """The decorator of a weekly table kept incrementally: it reads the `daily` asset's days of the week and
    its own previous week (declared as such, so backfills and the refresh sensor go week after week)."""
    return weekly_report(ctx, deps=[dg.AssetDep(daily, partition_mapping=the_week_before(1)),
                                    dg.AssetDep(asset, partition_mapping=the_week_before(1))],
                         kinds={"mongodb", "polars"})


def reconciliation(ctx: Build, *, asset: str, check: str, description: str,
                   measure: Callable[[Database, date], tuple[int, int, str]]) -> dg.AssetChecksDefinition:
    """The blocking check of a carried week, in its own step: `measure(db, sunday)` gives (stored, expected,
    mode). Not a check_spec of the asset: Dagster 1.13's automation maps a self-dependent asset's partitions
    through its self-dependency when checks share its step, which would refresh the week before as well."""

    @dg.asset_check(asset=asset, name=check, blocking=True, partitions_def=ctx.weekly, description=description,
                    automation_condition=dg.AutomationCondition.any_deps_match(
                        dg.AutomationCondition.will_be_requested()).with_label("with its asset"),
                    pool=MONGO_POOL, retry_policy=TRANSIENT_RETRY)
    def _reconciles(context: dg.AssetCheckExecutionContext, mongo: MongoResource) -> dg.AssetCheckResult:
        with mongo.get_database(secondary_ok=True) as db:
            stored, expected, mode = measure(db, week_sunday(context.partition_key))
        return dg.AssetCheckResult(passed=stored == expected,
                                   metadata={f"{asset}_events": stored, "expected_events": expected, "mode": mode})

    return _reconciles


def reference_time(partition: str) -> datetime:
    """Activity is measured up to the start of the week's Sunday (events loaded by then)."""
    return sunday_start(partition_day(partition))


def courses_for(db, reports: ReportsResource) -> list[ReportCourse]:
    courses = report_courses(db, reports.course_metadata_file)
    if not courses:
        raise dg.Failure(description="the `courses` catalog is empty: materialize course_collections first",
                         allow_retries=False)
    return courses


def enrollment_documents(db, courses: list[ReportCourse]) -> int:
    """Enrollments of the reported courses: what per-enrollment files must reconcile with."""
    return sum(db[c.collection("enrollments")].count_documents({}) for c in courses)


def file_metadata(result: CsvResult, s3_uri: str | None = None, table: str | None = None) -> dict:
    """Row count, the typed and described column schema, path, a preview (and the S3 copy's address)."""
    schema = table_schema(columns.describe(table, result.columns))
    metadata = {
        "dagster/row_count": result.rows,
        "dagster/column_schema": schema,
        "path": dg.MetadataValue.path(str(result.path)),
        "preview": markdown_table(result.columns, result.preview, limit=10),
    }
    if s3_uri:
        metadata["s3_uri"] = dg.MetadataValue.url(s3_uri)
    return metadata


def per_course_table(courses: list[ReportCourse], make, columns: list[str]) -> pl.DataFrame:
    """`make(course)` for every course, stacked (an empty frame of `columns` when nothing came back)."""
    parts = [make(c) for c in courses]
    parts = [p for p in parts if p.height]
    return pl.concat(parts, how="vertical_relaxed").select(columns) if parts else pl.DataFrame(
        schema={c: pl.String for c in columns})


def outline_report(week: str, mongo: MongoResource, workspace, reports: ReportsResource, s3: S3Resource, name: str,
                   columns: list[str], rows_of: Callable[[Database, ReportCourse, pl.DataFrame], pl.DataFrame],
                   expected: Callable[[Database, list[ReportCourse]], int] | None = None
                   ) -> tuple[CsvResult, dg.MaterializeResult, int | None]:
    """The body of a weekly table along the course outline: `rows_of(db, course, axis)` for every reported
    course (axis: the course's rows of the week's course_axis.csv), published as `<name>.csv`; with
    `expected(db, courses)`, the count the asset's check reconciles with, read in the same connection."""
    outline = paths.week_axis(workspace, week)
    with mongo.get_database(secondary_ok=True) as db, permanent_failures():
        courses = courses_for(db, reports)
        table = per_course_table(
            courses, lambda c: rows_of(db, c, outline.filter(pl.col("course_id") == c.course_id)), columns)
        count = expected(db, courses) if expected else None
    result, materialization = publish_frame(week, workspace, reports, s3, name, table, columns)
    return result, materialization, count


def publish_frame(week: str, workspace, reports: ReportsResource, s3: S3Resource, name: str, frame: pl.DataFrame,
                  columns: list[str], extra: dict | None = None) -> tuple[CsvResult, dg.MaterializeResult]:
    """Write `frame` as `<name>.csv` in the week's folder (polars), copy it to S3 when configured; the file
    and its materialization (row count, described schema, preview, path, `extra`)."""
    result = write_frame(paths.report_csv(workspace, week, name), frame, columns)
    return result, dg.MaterializeResult(metadata={**publish(result, reports, s3, week, table=name), **(extra or {})})


def publish(result: CsvResult, reports: ReportsResource, s3: S3Resource, week: str, table: str | None = None) -> dict:
    """Copy the file to S3 when configured; the materialization metadata of the file."""
    s3_uri = reports.upload(s3.get_client(), result, week) if reports.s3_bucket else None
    return file_metadata(result, s3_uri, table)
