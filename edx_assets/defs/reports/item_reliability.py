"""item_reliability: Cronbach's alpha per course and assignment type."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, permanent_failures
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import courses_for, per_course_table, publish_frame, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import items

AT_MOST_1 = "alpha_at_most_1"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["person_item"], kinds={"csv", "polars"},
                   check_specs=[checks.spec(ctx, "item_reliability", AT_MOST_1,
                                            "alpha <= 1 and no (course_id, assignment_type) twice.")])
    def item_reliability(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                         reports: ReportsResource, s3: S3Resource):
        """`item_reliability.csv`: per course and assignment type (gformat) of its graded items: items,
        learners (with a record of any of them) and Cronbach's alpha, alpha = k/(k-1) (1 - sum of the items'
        variances / the variance of the learners' totals), an item a learner has no record of counting 0.
        Empty alpha with fewer than 2 items or no variance. Source and formula: edx_assets/edx/reports/items.py
        (edx2bigquery computes the same statistic with Stata's `alpha` in its item reliability report).
        What leaves the platform (S3) hides alpha when fewer than EDX_MIN_CELL learners stand behind it.
        """
        week = context.partition_key
        person = items.read_person_items(paths.report_csv(workspace, week, "person_item"))
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)
        table = per_course_table(courses, lambda c: items.reliability_frame(
            c, person.filter(pl.col("course_id") == c.course_id)), items.RELIABILITY_COLUMNS)
        result, materialization = publish_frame(week, workspace, reports, s3, "item_reliability", table,
                                                items.RELIABILITY_COLUMNS)
        yield materialization
        frame = checks.read_back(result.path)
        unique = checks.unique_key(AT_MOST_1, frame, ["course_id", "assignment_type"])
        over = int((frame.get_column("alpha").cast(pl.Float64) > 1).sum()) if frame.height else 0
        yield dg.AssetCheckResult(check_name=AT_MOST_1, passed=unique.passed and over == 0,
                                  metadata={**unique.metadata, "alpha_above_1": over})

    return dg.Definitions(assets=[item_reliability])
