"""person_item: every learner's grade on every item (problem part) of the problems they submitted."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import outline_report, week_sunday, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import items
from edx_assets.edx.reports.learners import week_totals

UNIQUE = "one_row_per_learner_and_item"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "course_axis", "learner_totals"], kinds={"mongodb", "csv", "polars"},
                   check_specs=[checks.spec(ctx, "person_item", UNIQUE,
                                            "No (course_id, user_id, problem_id, item_id) twice; item_grade 0 or 1.")])
    def person_item(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                    reports: ReportsResource, s3: S3Resource):
        """`person_item.csv`: one row per learner and item, an item being one response of a problem (a key of
        the courseware record's correct_map), as edx2bigquery's make_item_tables.py and simeon's
        person_item.sql define it: course_id, user_id, problem_id, item_id, item_grade (1 when the record
        says correct, else 0: the learner's last submitted state), n_attempts (the problem's), gformat and
        graded (course_axis), last_modified, first_item_grade (the learner's first answer to the item as
        graded, from the server's problem_check events in learner_totals; empty when no event graded it) and
        item_weight (the item's share of the course grade, edx2bigquery's formula from the axis and the
        grading policy). Definitions and the statistics built on it: edx_assets/edx/reports/items.py.
        """
        until = week_sunday(context.partition_key)

        def rows_of(db, course, axis):
            return items.person_item_frame(db, course, axis, week_totals(db, course, until, ["answer_detail"],
                                                                                 items.FIRST_GRADE_FIELDS))

        result, materialization, _ = outline_report(context.partition_key, mongo, workspace, reports, s3,
                                                    "person_item", items.PERSON_ITEM_COLUMNS, rows_of)
        yield materialization
        frame = checks.read_back(result.path)
        unique = checks.unique_key(UNIQUE, frame, ["course_id", "user_id", "problem_id", "item_id"])
        odd = frame.filter(~pl.col("item_grade").is_in(["0", "1"])).height if frame.height else 0
        yield dg.AssetCheckResult(check_name=UNIQUE, passed=unique.passed and odd == 0,
                                  metadata={**unique.metadata, "item_grades_not_0_or_1": odd})

    return dg.Definitions(assets=[person_item])
