"""enrollment_daily: per course, day and mode: enrolled, unenrolled, net and cumulative."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports.common import (
    publish,
    reference_time,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import activity
from edx_assets.edx.reports.csv_out import write_csv


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @weekly_report(ctx, deps=[], uses_events=True)
    def enrollment_daily(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                         reports: ReportsResource, s3: S3Resource) -> dg.MaterializeResult:
        """`enrollment_daily.csv`: per course, day and mode, from the enrollment activation/deactivation
        events in Eventos before the week's Sunday: enrolled, unenrolled, net, cumulative net since the
        first loaded day.
        """
        week = context.partition_key
        with mongo.get_database() as db:
            rows = activity.enrollment_daily_rows(db, config.events_collection, reference_time(week))
            result = write_csv(workspace.reports_dir(week) / "enrollment_daily.csv", activity.ENROLLMENT_COLUMNS, rows)
        return dg.MaterializeResult(metadata=publish(result, reports, s3, week))

    return dg.Definitions(assets=[enrollment_daily])
