"""course_summary: the funnel per course, overall and by gender and education (from person_course)."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports.common import publish, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import course_summary as cs
from edx_assets.edx.reports.csv_out import write_csv


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["person_course"], kinds={"polars", "csv", "mongodb"})
    def course_summary(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                       reports: ReportsResource, s3: S3Resource) -> dg.MaterializeResult:
        """`course_summary.csv` and the `course_summary` collection: per course, dimension (`all`, `gender`,
        `level_of_education`) and value: registered, viewed, explored, certified, verified (verified mode),
        the share of each among the registered, median active days of those who viewed, and the median
        grade of the certified. Computed with polars from `person_course.csv`.
        """
        week = context.partition_key
        folder = workspace.reports_dir(week)
        frame = cs.summarize(folder / "person_course.csv")
        rows = frame.to_dicts()
        result = write_csv(folder / "course_summary.csv", cs.COLUMNS, rows)
        with mongo.get_database() as db:
            db.course_summary.delete_many({"week": week})
            if rows:
                # A key made of the row's own key: re-runs give identical documents (no fresh ObjectIds).
                db.course_summary.insert_many([
                    {"_id": f"{week}:{r['course_id']}:{r['dimension']}:{r['value']}", **r, "week": week} for r in rows])
        return dg.MaterializeResult(metadata=publish(result, reports, s3, week))

    return dg.Definitions(assets=[course_summary])
