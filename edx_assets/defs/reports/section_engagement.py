"""section_engagement: learners, time and completion along the course outline (chapters and sequentials)."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import outline_report, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import modules, problems

CHECK = "completed_within_reached"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["time_on_asset", "course_axis", "course_collections"], kinds={"mongodb", "polars", "csv"},
                   check_specs=[checks.spec(ctx, "section_engagement", CHECK,
                                            "One row per chapter and sequential of the outline; no section has "
                                            "more learners completed than reached.")])
    def section_engagement(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                           reports: ReportsResource, s3: S3Resource):
        """`section_engagement.csv`: one row per chapter and sequential of the course outline, in axis order
        (where learners drop out): course_id, index, level (chapter or sequential), module_id, chapter_name,
        sequential_name (course_axis), learners_reached (learners of time_on_asset with an event in the
        section or a block below it), time_umid5 / time_umid30 (seconds: their time on asset there, summed),
        median_time_umid30 (per learner who reached it), graded_problems (graded problems of the section),
        learners_completed (of those who reached it, with a graded score on every one of them in the
        package's courseware records; empty when it has none) and share_completed (learners_completed /
        learners_reached). What leaves the platform (S3) hides the figures of a section fewer than
        EDX_MIN_CELL learners reached. Definitions and the peers': edx_assets/edx/reports/modules.py.
        """
        week = context.partition_key
        visits = modules.read_time_on_asset(paths.report_csv(workspace, week, "time_on_asset"))

        def rows_of(db, course, axis):
            mine = visits.filter(pl.col("course_id") == course.course_id)
            records = problems.problem_records(db, course, modules.RECORDS)
            return modules.section_engagement_frame(course.course_id, mine, axis, records)

        result, materialization, _ = outline_report(week, mongo, workspace, reports, s3, "section_engagement",
                                                    modules.SECTION_COLUMNS, rows_of)
        yield materialization
        frame = checks.read_back(result.path)
        unique = checks.unique_key(CHECK, frame, ["course_id", "module_id"])
        over = frame.filter(pl.col("learners_completed").cast(pl.Int64) > pl.col("learners_reached").cast(pl.Int64)
                            ).height if frame.height else 0
        yield dg.AssetCheckResult(check_name=CHECK, passed=unique.passed and over == 0,
                                  metadata={**unique.metadata, "sections_completed_above_reached": over})

    return dg.Definitions(assets=[section_engagement])
