"""time_on_asset: each learner's time on each module of the course (edx2bigquery's time_on_asset)."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import outline_report, week_sunday, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import modules
from edx_assets.edx.reports.learners import learners_totals

KEY = ["course_id", "user_id", "url_name"]
CHECK = "one_row_per_learner_and_module"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["learner_totals", "course_axis", "course_collections"], kinds={"mongodb", "polars", "csv"},
                   check_specs=[checks.spec(ctx, "time_on_asset", CHECK,
                                            "No (course_id, user_id, url_name) twice; time under 5 minutes never "
                                            "above time under 30.")])
    def time_on_asset(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                      reports: ReportsResource, s3: S3Resource):
        """`time_on_asset.csv`: one row per learner and module (block) they had events in, over every day
        before the week's Sunday (edx2bigquery's and simeon's time_on_asset): course_id, user_id, module_id
        (course_axis' org/number/category/url_name), url_name (the block's name, the key), category, index,
        chapter_name, sequential_name, vertical_name (course_axis; empty for a block the outline does not
        hold), nevents (the learner's events in the module) and time_umid5 / time_umid30 (seconds: the gaps
        between the learner's consecutive events in that module under 5 / 30 minutes). The course team is
        left out unless EDX_REPORTS_INCLUDE_COURSE_TEAM. Definitions, the module of an event and where this
        differs from the peers: edx_assets/edx/reports/modules.py and learner_day.
        """
        week = context.partition_key
        until = week_sunday(week)

        def rows_of(db, course, axis):
            totals = learners_totals(db, course, until, reports.team(db, course), ["module_time"])
            return modules.time_on_asset_frame(course.course_id, totals, axis)

        result, materialization, _ = outline_report(week, mongo, workspace, reports, s3, "time_on_asset",
                                                    modules.TIME_ON_ASSET_COLUMNS, rows_of)
        yield materialization
        frame = checks.read_back(result.path)
        unique = checks.unique_key(CHECK, frame, KEY)
        inverted = frame.filter(pl.col("time_umid5").cast(pl.Float64) > pl.col("time_umid30").cast(pl.Float64)).height \
            if frame.height else 0
        yield dg.AssetCheckResult(check_name=CHECK, passed=unique.passed and inverted == 0,
                                  metadata={**unique.metadata, "rows_with_time_5_above_time_30": inverted})

    return dg.Definitions(assets=[time_on_asset])
