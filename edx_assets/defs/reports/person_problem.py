"""person_problem: every learner's state on every problem they opened, along the course outline."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import outline_report, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import problems

ROWS_MATCH = "rows_match_problem_records"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "course_axis"], kinds={"mongodb", "csv", "polars"},
                   check_specs=[checks.spec(ctx, "person_problem", ROWS_MATCH,
                                            "Rows == the courses' problem records in courseware_studentmodule, no "
                                            "(course_id, user_id, problem_id) twice, and every score share in [0, 1].")])
    def person_problem(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                       reports: ReportsResource, s3: S3Resource):
        """`person_problem.csv`: one row per learner and problem with a courseware record (edx2bigquery's and
        simeon's `person_problem`, from the same studentmodule rows): course_id, user_id, problem_id (the
        usage key), index, chapter_name, sequential_name, problem_name, gformat, graded (course_axis),
        problem_raw_score and problem_max_score (the record's grade and max_grade, as edX computed them),
        problem_pct_score (their share, 0-1), n_attempts (the record's state), first_opened and last_modified
        (the record's created and modified). Scores are empty for a problem opened and never submitted;
        outline columns are empty for a problem the structure does not hold. Definitions and where they
        differ from the peers: edx_assets/edx/reports/problems.py.
        """
        result, materialization, expected = outline_report(
            context.partition_key, mongo, workspace, reports, s3, "person_problem", problems.COLUMNS,
            problems.person_problem_frame,
            lambda db, courses: sum(db[c.collection("courseware")].count_documents({"module_type": "problem"})
                                    for c in courses))
        yield materialization
        frame = checks.read_back(result.path)
        unique = checks.unique_key(ROWS_MATCH, frame, ["course_id", "user_id", "problem_id"])
        shares = frame.get_column("problem_pct_score").cast(pl.Float64) if frame.height else pl.Series([], dtype=pl.Float64)
        outside = int(((shares < 0) | (shares > 1)).sum())
        yield dg.AssetCheckResult(check_name=ROWS_MATCH, passed=frame.height == expected and unique.passed
                                  and outside == 0,
                                  metadata={**unique.metadata, "csv_rows": frame.height,
                                            "problem_records": expected, "shares_outside_0_1": outside})

    return dg.Definitions(assets=[person_problem])
