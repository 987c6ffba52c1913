"""ora_activity: each learner's submissions, scores and assessments on each open-response assessment."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import outline_report, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import modules, ora

CHECK = "one_row_per_learner_and_item_and_tables_known"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "course_axis", "time_on_asset"], kinds={"mongodb", "polars", "csv"},
                   check_specs=[checks.spec(ctx, "ora_activity", CHECK,
                                            "No (course_id, user_id, item_id) twice; fails when a course has "
                                            "submissions but the package lacked the tables its other columns "
                                            "come from (they are then empty: unknown).")])
    def ora_activity(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                     reports: ReportsResource, s3: S3Resource):
        """`ora_activity.csv`: one row per learner and open-response assessment (ORA) they submitted to or
        assessed in, from the package's `ora/` tables: course_id, user_id (the anonymous id mapped through
        student_anonymoususerid), item_id (the block's usage key), url_name, index, chapter_name,
        sequential_name, problem_name (course_axis), submissions, first_submitted, last_submitted,
        points_earned and points_possible (the latest score not reset), peer_given, self_given (assessments
        the learner made), peer_received, self_received, staff_received (assessments of the learner's
        submissions), events and time_umid30 (the learner's events and time on asset in the block:
        time_on_asset). Columns whose table the package did not carry are empty (unknown), and the check
        fails. Definitions: edx_assets/edx/reports/ora.py.
        """
        week = context.partition_key
        visits = modules.read_time_on_asset(paths.report_csv(workspace, week, "time_on_asset"))
        unknown: dict[str, list[str]] = {}

        def rows_of(db, course, axis):
            have = ora.delivered_tables(db, course)
            lacking = sorted(set(ora.NEEDED) - have) if "submissions_studentitem" in have else []
            if lacking:
                unknown[course.course_id] = lacking
            return ora.ora_activity_frame(db, course, axis, visits.filter(pl.col("course_id") == course.course_id),
                                          have)

        result, materialization, _ = outline_report(week, mongo, workspace, reports, s3, "ora_activity", ora.COLUMNS,
                                                    rows_of)
        yield materialization
        frame = checks.read_back(result.path)
        unique = checks.unique_key(CHECK, frame, ["course_id", "user_id", "item_id"])
        yield dg.AssetCheckResult(check_name=CHECK, passed=unique.passed and not unknown,
                                  metadata={**unique.metadata, "tables_not_delivered": dg.MetadataValue.json(unknown)})

    return dg.Definitions(assets=[ora_activity])
