"""integrity_signals (opt-in): pairs of accounts whose answers suggest answer harvesting (CAMEO)."""

import dagster as dg
import polars as pl

from edx_assets.defs.common import Build, permanent_failures
from edx_assets.defs.reports import paths
from edx_assets.defs.reports.common import (
    courses_for,
    file_metadata,
    per_course_table,
    week_sunday,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx import learner_ips
from edx_assets.edx.reports import frames, integrity
from edx_assets.edx.reports.csv_out import write_frame
from edx_assets.edx.reports.learners import learners_totals


def build(ctx: Build) -> dg.Definitions:
    enabled, min_problems = ctx.config.integrity_signals, ctx.config.integrity_min_problems

    @weekly_report(ctx, deps=["learner_totals", "learner_ips", "course_collections"], kinds={"mongodb", "polars", "csv"},
                   output_required=False)
    def integrity_signals(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                          reports: ReportsResource):
        """`integrity_signals.csv` -- only with EDX_INTEGRITY_SIGNALS=true (off by default: the step then
        materializes nothing). Signals, not verdicts: pairs of accounts in a course where one (the harvester)
        was shown the answers the other (the master) then got right, edx2bigquery's CAMEO features: course_id,
        master_user_id, harvester_user_id, common_problems (problems the harvester was shown and the master got
        right), show_ans_before (of those, shown before the master's first right answer), median_dt_seconds
        (between the two, over those problems), within_5min (those within 5 minutes), shared_ips (IP addresses
        both accounts used; the addresses are not written). Kept when both accounts reach
        EDX_INTEGRITY_MIN_PROBLEMS (10) problems, show_ans_before reaches it too and the median is at most 7
        days. User ids only; the file stays on the platform (no S3 copy, not in the warehouse). Definition and
        differences: edx_assets/edx/reports/integrity.py.
        """
        if not enabled:
            context.log.info("integrity_signals is off (EDX_INTEGRITY_SIGNALS); nothing computed or written")
            return
        week = context.partition_key
        until = week_sunday(week)
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            ips = learner_ips.read_week(db, until)
            if ips is None:  # (a permanent failure: no retry until learner_ips of the week is materialized)
                raise ValueError(f"learner_ips of the week {week} are not computed: materialize learner_ips first")
            courses = courses_for(db, reports)

            def rows_of(course):
                totals = learners_totals(db, course, until, reports.team(db, course), ["problem_detail"])
                details = frames.nested_rows(totals, "problem_detail") if totals.height else pl.DataFrame(
                    schema={"user_id": pl.Int64, "problem": pl.String, "first_show_answer": pl.Datetime("ms"),
                            "first_right": pl.Datetime("ms")})
                return integrity.pairs(course.course_id, details, ips, min_problems)

            table = per_course_table(courses, rows_of, integrity.COLUMNS)
        result = write_frame(paths.report_csv(workspace, week, "integrity_signals"), table, integrity.COLUMNS)
        yield dg.MaterializeResult(metadata={**file_metadata(result, None, "integrity_signals"),
                                             "min_problems": min_problems})

    return dg.Definitions(assets=[integrity_signals])

