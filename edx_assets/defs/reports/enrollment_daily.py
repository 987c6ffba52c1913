"""enrollment_daily: per course, day and mode: enrolled, unenrolled, net and cumulative."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import (
    publish,
    reference_time,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx import eventos_schema as ev
from edx_assets.edx.reports import activity
from edx_assets.edx.reports.csv_out import write_csv


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @weekly_report(ctx, deps=[], uses_events=True, check_specs=[
        checks.spec(ctx, "enrollment_daily", "totals_reconcile_with_eventos",
                    "Sums of enrolled and unenrolled == enrollment activation and deactivation events in Eventos "
                    "before the week's Sunday; cumulative is the running sum of net.")])
    def enrollment_daily(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                         reports: ReportsResource, s3: S3Resource):
        """`enrollment_daily.csv`: per course, day and mode, from the enrollment activation/deactivation
        events in Eventos before the week's Sunday: enrolled, unenrolled, net, cumulative net since the
        first loaded day.
        """
        week = context.partition_key
        with mongo.get_database() as db:
            until = reference_time(week)
            rows = activity.enrollment_daily_rows(db, config.events_collection, until)
            result = write_csv(workspace.reports_dir(week) / "enrollment_daily.csv", activity.ENROLLMENT_COLUMNS, rows)
            expected = {kind: db[config.events_collection].count_documents(
                {ev.EVENT_TYPE: event_type, ev.TIME: {"$lt": until}, ev.COURSE_ID: {"$ne": None}})
                for kind, event_type in (("enrolled", activity.ACTIVATED), ("unenrolled", activity.DEACTIVATED))}
        yield dg.MaterializeResult(metadata=publish(result, reports, s3, week, table="enrollment_daily"))
        frame = checks.read_back(result.path).with_columns(
            pl.col("enrolled", "unenrolled", "net", "cumulative").cast(pl.Int64))
        written = {kind: int(frame.get_column(kind).sum()) for kind in expected}
        running = frame.with_columns(pl.col("net").cum_sum().over("course_id", "mode").alias("running"))
        broken = running.filter(pl.col("running") != pl.col("cumulative")).height
        yield dg.AssetCheckResult(check_name="totals_reconcile_with_eventos",
                                  passed=written == expected and broken == 0,
                                  metadata={"csv": dg.MetadataValue.json(written),
                                            "eventos": dg.MetadataValue.json(expected),
                                            "rows_with_wrong_cumulative": broken})

    return dg.Definitions(assets=[enrollment_daily])
