"""enrollments_report: every enrollment with the learner's gender and country."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.assets.common import MONGO_POOL, TRANSIENT_RETRY, WEEKLY_FRESHNESS
from edx_assets.assets.reports.common import GROUP, KINDS, REPORT_OWNERS, courses_for, publish
from edx_assets.edx.reports import enrollments
from edx_assets.edx.reports.csv_out import write_csv
from edx_assets.partitions import weekly_partitions
from edx_assets.resources import MongoResource, ReportsResource, WorkspaceResource


@dg.asset(
    partitions_def=weekly_partitions,
    deps=["course_collections"],
    group_name=GROUP,
    kinds=KINDS,
    owners=REPORT_OWNERS,
    freshness_policy=WEEKLY_FRESHNESS,
    retry_policy=TRANSIENT_RETRY,
    pool=MONGO_POOL,
    code_version="1",
)
def enrollments_report(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                       reports: ReportsResource, s3: S3Resource) -> dg.MaterializeResult:
    """`enrollments_report.csv`: one row per enrollment of every course:
    `mooc_name,mooc_id,registration_date,gender,country` (the old columns) then user_id, mode, is_active.
    Learners without a demographics row are included with empty gender and country.
    """
    week = context.partition_key
    with mongo.get_database() as db:
        courses = courses_for(db, reports)
        result = write_csv(workspace.reports_dir(week) / "enrollments_report.csv", enrollments.COLUMNS,
                           enrollments.enrollment_report_rows(db, courses))
    return dg.MaterializeResult(metadata=publish(result, reports, s3, week))
