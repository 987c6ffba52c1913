"""person_subsection_grades: every learner's grade on each subsection, along the course outline."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import outline_report, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import grades

ROWS_MATCH = "rows_match_subsection_grades"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "course_axis"], kinds={"mongodb", "csv", "polars"},
                   check_specs=[checks.spec(ctx, "person_subsection_grades", ROWS_MATCH,
                                            "Rows == the courses' grades_persistentsubsectiongrade documents, and "
                                            "earned <= possible on every row.")])
    def person_subsection_grades(context: dg.AssetExecutionContext, mongo: MongoResource,
                                 workspace: WorkspaceResource, reports: ReportsResource, s3: S3Resource):
        """`person_subsection_grades.csv`: one row per learner and subsection of grades_persistentsubsectiongrade
        (edx2bigquery's `grades_persistent_subsection`), joined to the course outline on the subsection's block
        (either id form): course_id, user_id, block_id (the usage key), index, chapter_name, sequential_name,
        gformat, graded, due (course_axis), earned_all, possible_all, earned_graded, possible_graded, attempted
        (first_attempted set) and first_attempted. A subsection the structure does not hold keeps its row with
        empty outline columns. Empty for a course whose package carries no subsection grades.
        """
        result, materialization, expected = outline_report(
            context.partition_key, mongo, workspace, reports, s3, "person_subsection_grades",
            grades.SUBSECTION_COLUMNS, grades.subsection_frame,
            lambda db, courses: sum(db[c.collection("grades_subsection")].count_documents({}) for c in courses))
        yield materialization
        frame = checks.read_back(result.path)
        over = frame.filter(pl.col("earned_all").cast(pl.Float64) > pl.col("possible_all").cast(pl.Float64)).height \
            if frame.height else 0
        yield dg.AssetCheckResult(check_name=ROWS_MATCH, passed=frame.height == expected and over == 0,
                                  metadata={"csv_rows": frame.height, "subsection_grade_documents": expected,
                                            "rows_earning_more_than_possible": over})

    return dg.Definitions(assets=[person_subsection_grades])
