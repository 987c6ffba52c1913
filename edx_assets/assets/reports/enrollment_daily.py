"""enrollment_daily: per course, day and mode: enrolled, unenrolled, net and cumulative."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.assets.common import MONGO_POOL, TRANSIENT_RETRY, WEEKLY_FRESHNESS
from edx_assets.assets.reports.common import (
    EVENTS_OF_PREVIOUS_WEEK,
    GROUP,
    KINDS,
    REPORT_OWNERS,
    publish,
    reference_time,
)
from edx_assets.edx.reports import activity
from edx_assets.edx.reports.csv_out import write_csv
from edx_assets.partitions import weekly_partitions
from edx_assets.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.settings import load_settings


@dg.asset(
    partitions_def=weekly_partitions,
    deps=[EVENTS_OF_PREVIOUS_WEEK],
    group_name=GROUP,
    kinds=KINDS,
    owners=REPORT_OWNERS,
    freshness_policy=WEEKLY_FRESHNESS,
    retry_policy=TRANSIENT_RETRY,
    pool=MONGO_POOL,
    code_version="1",
)
def enrollment_daily(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                     reports: ReportsResource, s3: S3Resource) -> dg.MaterializeResult:
    """`enrollment_daily.csv`: per course, day and mode, from the enrollment activation/deactivation
    events in Eventos before the week's Sunday: enrolled, unenrolled, net, cumulative net since the
    first loaded day.
    """
    week = context.partition_key
    with mongo.get_database() as db:
        rows = activity.enrollment_daily_rows(db, load_settings().events_collection, reference_time(week))
        result = write_csv(workspace.reports_dir(week) / "enrollment_daily.csv", activity.ENROLLMENT_COLUMNS, rows)
    return dg.MaterializeResult(metadata=publish(result, reports, s3, week))
