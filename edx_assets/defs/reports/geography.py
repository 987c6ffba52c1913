"""geography: per course and country of the registration IP, the funnel with continent and UN region."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import publish_frame, weekly_report
from edx_assets.defs.resources import ReportsResource, WorkspaceResource
from edx_assets.edx.reports import geography as geo
from edx_assets.edx.reports.course_summary import counted


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["person_course"], kinds={"polars", "csv"}, check_specs=[
        checks.spec(ctx, "geography", "registered_reconciles_with_person_course",
                    "Per course, registered summed over countries == person_course's learners (course team "
                    "left out unless configured), and every known country has a continent and UN region.")])
    def geography(context: dg.AssetExecutionContext, workspace: WorkspaceResource, reports: ReportsResource,
                  s3: S3Resource):
        """`geography.csv`, edx2bigquery's geographic distribution: per course and country_code (ISO-2 of the
        learner's registration IP -- the enrollment activation's IP, else the first event's -- as in
        person_course's ip_country; `unknown` without one): continent, un_region (UN M49 sub-region),
        registered, viewed, explored (empty without a course structure), certified and verified (verified
        mode), with person_course's definitions. Computed with polars from `person_course.csv`; the course
        team left out unless EDX_REPORTS_INCLUDE_COURSE_TEAM.
        """
        week = context.partition_key
        folder = workspace.reports_dir(week)
        table = geo.by_country(folder / "person_course.csv", reports.include_course_team)
        result, materialized = publish_frame(week, workspace, reports, s3, "geography", table, geo.COLUMNS,
                                             {"countries": table.filter(pl.col("country_code") != "unknown")
                                              .get_column("country_code").n_unique()})
        yield materialized
        frame = checks.read_back(result.path).with_columns(pl.col("registered").cast(pl.Int64))
        people = counted(checks.read_back(folder / "person_course.csv"), reports.include_course_team).group_by(
            "course_id").len()
        totals = frame.group_by("course_id").agg(pl.col("registered").sum())
        off = totals.join(people, on="course_id", how="full", coalesce=True).filter(
            pl.col("registered").fill_null(-1) != pl.col("len").fill_null(-1))
        unplaced = frame.filter((pl.col("country_code") != "unknown") & pl.col("un_region").is_null())
        yield dg.AssetCheckResult(check_name="registered_reconciles_with_person_course",
                                  passed=off.height == 0 and unplaced.height == 0,
                                  metadata={"mismatches": dg.MetadataValue.json(off.to_dicts()[:20]),
                                            "countries_without_region": dg.MetadataValue.json(
                                                unplaced.get_column("country_code").unique().sort().to_list())})

    return dg.Definitions(assets=[geography])
