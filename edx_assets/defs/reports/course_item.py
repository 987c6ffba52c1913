"""course_item: per item, its learners, difficulty and discrimination (classical item statistics)."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import outline_report, week_sunday, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import items
from edx_assets.edx.reports.learners import week_totals

WITHIN = "statistics_within_their_ranges"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["person_item", "course_axis", "course_collections", "learner_totals"],
                   kinds={"csv", "polars"},
                   check_specs=[checks.spec(ctx, "course_item", WITHIN,
                                            "difficulty and share_attempted in [0, 1], discrimination in [-1, 1], "
                                            "no (course_id, problem_id, item_id) twice.")])
    def course_item(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                    reports: ReportsResource, s3: S3Resource):
        """`course_item.csv`: one row per item of the week's person_item (and one per problem of the outline
        nobody opened, item_id empty, learners 0): course_id, problem_id, item_id, index, problem_name,
        gformat, graded (course_axis), learners (with a record of the item), share_attempted (of the
        enrolled), difficulty (the share of those learners who got it right) and discrimination (the
        point-biserial correlation of the item with the learner's score on the course's other graded items),
        item_weight (its share of the course grade) and share_answer_shown_first (of its learners whose
        events show the problem, those shown the answer before their first right check). Formulas and
        sources: edx_assets/edx/reports/items.py. What leaves the platform (S3) hides the figures of an item
        fewer than EDX_MIN_CELL learners have.
        """
        week = context.partition_key
        until = week_sunday(week)
        person = items.read_person_items(paths.report_csv(workspace, week, "person_item"))

        def rows_of(db, course, axis):
            mine = person.filter(pl.col("course_id") == course.course_id)
            shown = items.answers_shown(week_totals(db, course, until, ["problem_detail"], items.SHOWN_FIELDS))
            return items.course_item_frame(course, mine, axis, db[course.collection("enrollments")].count_documents({}),
                                           shown)

        result, materialization, _ = outline_report(week, mongo, workspace, reports, s3, "course_item",
                                                    items.COURSE_ITEM_COLUMNS, rows_of)
        yield materialization
        frame = checks.read_back(result.path)
        unique = checks.unique_key(WITHIN, frame, ["course_id", "problem_id", "item_id"])

        def outside(column: str, low: float) -> int:
            values = frame.get_column(column).cast(pl.Float64) if frame.height else pl.Series([], dtype=pl.Float64)
            return int(((values < low) | (values > 1)).sum())

        bad = {c: outside(c, low) for c, low in (("difficulty", 0), ("share_attempted", 0), ("discrimination", -1))}
        yield dg.AssetCheckResult(check_name=WITHIN, passed=unique.passed and not any(bad.values()),
                                  metadata={**unique.metadata, "outside_their_range": dg.MetadataValue.json(bad)})

    return dg.Definitions(assets=[course_item])
