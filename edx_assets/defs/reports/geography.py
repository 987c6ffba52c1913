"""geography: per course and country of the registration IP, the funnel with continent and UN region."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import publish_frame, weekly_report
from edx_assets.defs.resources import ReportsResource, WorkspaceResource
from edx_assets.edx.reports import geography as geo
from edx_assets.edx.reports import small_cells
from edx_assets.edx.reports.locations import UNKNOWN
from edx_assets.edx.reports.roles import counted

# Rows of a country (not an IP the database cannot place, UNKNOWN, nor learners without an IP, empty).
_placed = pl.col("country_code").is_not_null() & (pl.col("country_code") != UNKNOWN)


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["person_course"], kinds={"polars", "csv"}, check_specs=[
        checks.spec(ctx, "geography", "registered_reconciles_with_person_course",
                    "Per course, registered summed over countries == person_course's learners (course team "
                    "left out unless configured), and every known country has a continent and UN region."),
        checks.spec(ctx, "geography", "no_cell_below_min_cell",
                    "No published learner count lies between 1 and EDX_MIN_CELL-1 (default 5): such cells are "
                    "emptied and named in `suppressed`.")])
    def geography(context: dg.AssetExecutionContext, workspace: WorkspaceResource, reports: ReportsResource,
                  s3: S3Resource):
        """`geography.csv`, edx2bigquery's geographic distribution: per course and country_code (ISO-2 of the
        learner's registration IP -- the enrollment activation's IP, else the first event's -- as in
        person_course's ip_country; `UNKNOWN` for an IP not locatable, empty for learners with no IP):
        continent, un_region (UN M49 sub-region), registered, viewed, explored (empty without a course structure), certified and verified (verified
        mode), with person_course's definitions. Computed with polars from `person_course.csv`; the course
        team left out unless EDX_REPORTS_INCLUDE_COURSE_TEAM. It leaves the platform as it is, so a country of
        1 to EDX_MIN_CELL-1 learners (default 5) keeps only its keys, a smaller count of a bigger country is
        emptied, both named in `suppressed`.
        """
        week = context.partition_key
        person_course = paths.report_csv(workspace, week, "person_course")
        table = small_cells.suppress(geo.by_country(person_course, reports.include_course_team),
                                     "geography", reports.min_cell)
        result, materialized = publish_frame(week, workspace, reports, s3, "geography", table,
                                             [*geo.COLUMNS, small_cells.MARK],
                                             {"countries": table.filter(_placed)
                                              .get_column("country_code").n_unique()})
        yield materialized
        frame = checks.read_back(result.path)
        people = counted(checks.read_back(person_course), reports.include_course_team).group_by(
            "course_id").len()
        unplaced = frame.filter(_placed & pl.col("un_region").is_null())
        yield checks.registered_reconciles(
            "registered_reconciles_with_person_course", frame, people, ["course_id"], reports.min_cell,
            passed=unplaced.height == 0, metadata={"countries_without_region": dg.MetadataValue.json(
                unplaced.get_column("country_code").unique().sort().to_list())})
        yield checks.no_small_cell("no_cell_below_min_cell", frame, "geography", reports.min_cell)

    return dg.Definitions(assets=[geography])
