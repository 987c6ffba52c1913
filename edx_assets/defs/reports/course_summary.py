"""course_summary: the funnel per course, overall and by gender and education (from person_course)."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import publish, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import course_summary as cs
from edx_assets.edx.reports.csv_out import write_csv


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["person_course"], kinds={"polars", "csv", "mongodb"}, check_specs=[
        checks.spec(ctx, "course_summary", "registered_reconciles_with_person_course",
                    "Per course, `all` registered == person_course rows (course team left out unless "
                    "configured), and the gender and education rows each add up to it."),
        checks.spec(ctx, "course_summary", "shares_within_0_1", "Every share_* lies in [0, 1].")])
    def course_summary(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                       reports: ReportsResource, s3: S3Resource):
        """`course_summary.csv` and the `course_summary` collection: per course, dimension (`all`, `gender`,
        `level_of_education`) and value: registered, viewed, explored, certified, verified (verified mode),
        the share of each among the registered, median active days of those who viewed, and the median
        grade of the certified. Computed with polars from `person_course.csv`, without the course team
        (is_course_team: edX staff, course access roles, forum moderators) unless
        EDX_REPORTS_INCLUDE_COURSE_TEAM is set.
        """
        week = context.partition_key
        folder = workspace.reports_dir(week)
        frame = cs.summarize(folder / "person_course.csv", reports.include_course_team)
        rows = frame.to_dicts()
        result = write_csv(folder / "course_summary.csv", cs.COLUMNS, rows)
        with mongo.get_database() as db:
            db.course_summary.delete_many({"week": week})
            if rows:
                # A key made of the row's own key: re-runs give identical documents (no fresh ObjectIds).
                db.course_summary.insert_many([
                    {"_id": f"{week}:{r['course_id']}:{r['dimension']}:{r['value']}", **r, "week": week} for r in rows])
        yield dg.MaterializeResult(metadata=publish(result, reports, s3, week, table="course_summary"))
        written = checks.read_back(result.path).with_columns(pl.col("registered").cast(pl.Int64))
        people = cs.counted(checks.read_back(folder / "person_course.csv"), reports.include_course_team).group_by(
            "course_id").len()
        totals = written.group_by("course_id", "dimension").agg(pl.col("registered").sum())
        joined = totals.join(people, on="course_id", how="full", coalesce=True)
        off = joined.filter(pl.col("registered").fill_null(-1) != pl.col("len").fill_null(-1))
        yield dg.AssetCheckResult(check_name="registered_reconciles_with_person_course", passed=off.height == 0,
                                  metadata={"mismatches": dg.MetadataValue.json(off.to_dicts()[:20]),
                                            "person_course_rows": int(people.get_column("len").sum())})
        yield checks.shares_within_unit("shares_within_0_1", written, [c for c in cs.COLUMNS if c.startswith("share_")])

    return dg.Definitions(assets=[course_summary])
