"""course_summary: the funnel per course, overall and by gender and education (from person_course)."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import publish, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import course_summary as cs
from edx_assets.edx.reports import roles, small_cells
from edx_assets.edx.reports.csv_out import write_csv


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["person_course"], kinds={"polars", "csv", "mongodb"}, check_specs=[
        checks.spec(ctx, "course_summary", "registered_reconciles_with_person_course",
                    "Per course, `all` registered == person_course rows (course team left out unless "
                    "configured), and the gender and education rows each add up to it."),
        checks.spec(ctx, "course_summary", "shares_within_0_1", "Every share_* lies in [0, 1]."),
        checks.spec(ctx, "course_summary", "no_cell_below_min_cell",
                    "No published learner count lies between 1 and EDX_MIN_CELL-1 (default 5): such cells are "
                    "emptied and named in `suppressed`.")])
    def course_summary(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                       reports: ReportsResource, s3: S3Resource):
        """`course_summary.csv` and the `course_summary` collection: per course, dimension (`all`, `gender`,
        `level_of_education`) and value: registered, viewed, explored, certified, verified (verified mode),
        the share of each among the registered, median active days of those who viewed, and the median
        grade of the certified. Computed with polars from `person_course.csv`, without the course team
        (is_course_team: edX staff, course access roles, forum moderators) unless
        EDX_REPORTS_INCLUDE_COURSE_TEAM is set. It leaves the platform as it is (S3, dashboards), so a cell
        of 1 to EDX_MIN_CELL-1 learners (default 5) is emptied, with what is computed from it, and named in
        `suppressed`; zero is shown.
        """
        week = context.partition_key
        person_course = paths.report_csv(workspace, week, "person_course")
        frame = small_cells.suppress(cs.summarize(person_course, reports.include_course_team),
                                     "course_summary", reports.min_cell)
        rows = frame.to_dicts()
        result = write_csv(paths.report_csv(workspace, week, "course_summary"), [*cs.COLUMNS, small_cells.MARK], rows)
        with mongo.get_database(secondary_ok=True) as db:
            db.course_summary.delete_many({"week": week})
            if rows:
                # A key made of the row's own key: re-runs give identical documents (no fresh ObjectIds).
                db.course_summary.insert_many([
                    {"_id": f"{week}:{r['course_id']}:{r['dimension']}:{r['value']}", **r, "week": week} for r in rows])
        yield dg.MaterializeResult(metadata=publish(result, reports, s3, week, table="course_summary"))
        written = checks.read_back(result.path)
        people = roles.counted(checks.read_back(person_course), reports.include_course_team).group_by(
            "course_id").len()
        yield checks.registered_reconciles("registered_reconciles_with_person_course", written, people,
                                           ["course_id", "dimension"], reports.min_cell)
        yield checks.shares_within_unit("shares_within_0_1", written, [c for c in cs.COLUMNS if c.startswith("share_")])
        yield checks.no_small_cell("no_cell_below_min_cell", written, "course_summary", reports.min_cell)

    return dg.Definitions(assets=[course_summary])
