"""course_axis: the course outline, one row per block in course order (edx2bigquery's course_axis)."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, permanent_failures
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import (
    courses_for,
    per_course_table,
    publish_frame,
    week_sunday,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import course_axis as axis
from edx_assets.edx.reports import engagement, frames, grades
from edx_assets.edx.reports.learners import week_totals

EVERY_BLOCK = "every_block_once_in_course_order"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "learner_totals"], kinds={"mongodb", "csv", "polars"},
                   check_specs=[checks.spec(ctx, "course_axis", EVERY_BLOCK,
                                            "Per course, one row per block of the loaded structure, index 1..n "
                                            "with no gap, and every block the outline reaches before the others.")])
    def course_axis(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                    reports: ReportsResource, s3: S3Resource):
        """`course_axis.csv`: the course outline (edx2bigquery's `course_axis`, make_course_axis.py /
        edx2course_axis.py `make_axis`), one row per block of each course's structure in course order.

        Columns: course_id, index (depth first from the course root in the children's order, 1 = the course),
        block_id, module_id (org/number/category/url_name: both id forms resolve alike), url_name, category,
        name (display name), path (/chapter, /chapter/sequential, then positions), depth, parent, chapter_mid,
        chapter_name, sequential_name, vertical_name, gformat (assignment type), graded, due, start (inherited
        from the nearest block up the tree that sets them, as edx2bigquery's Policy.get_metadata does),
        assignment_type_weight (the type's weight in the grading policy), problem_weight, max_score (the
        problem's largest courseware max_grade), video_duration (the median duration the video's events
        reported over the week's learner_totals, else the structure's), is_split, split_url_name, in_outline
        (0 for blocks no chapter reaches: listed last, never dropped).

        Differences from edx2bigquery: built from the package's course structure (the same block tree as the
        OLX export it reads); hidden blocks (hide_from_toc) are kept; the course's own row is index 1.
        """
        week = context.partition_key
        until = week_sunday(week)
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)

            def axis_of(course):
                policy, _ = grades.grading_policy(db, course)
                viewers = frames.nested_rows(week_totals(db, course, until, ["video_detail"]), "video_detail")
                known = engagement.durations(db, course, viewers.filter(pl.col("plays") > 0))
                return axis.axis_frame(db, course, grades.assignment_weights(policy), known)

            table = per_course_table(courses, axis_of, axis.COLUMNS)
            blocks = {c.course_id: db[c.collection("structure")].count_documents({}) for c in courses}
        result, materialization = publish_frame(week, workspace, reports, s3, "course_axis", table, axis.COLUMNS, {
            "courses": len(courses), "blocks_outside_the_outline": int((table["in_outline"].cast(pl.Int64) == 0).sum())
            if table.height else 0})
        yield materialization
        yield _every_block(checks.read_back(result.path), blocks)

    return dg.Definitions(assets=[course_axis])


def _every_block(frame: pl.DataFrame, blocks: dict[str, int]) -> dg.AssetCheckResult:
    off = {}
    for course_id, expected in blocks.items():
        rows = frame.filter(pl.col("course_id") == course_id) if frame.height else frame
        index = rows.get_column("index").cast(pl.Int64).to_list() if rows.height else []
        outline = rows.get_column("in_outline").cast(pl.Int64).to_list() if rows.height else []
        if len(index) != expected or index != list(range(1, expected + 1)) or outline != sorted(outline, reverse=True):
            off[course_id] = {"rows": len(index), "structure_blocks": expected}
    return dg.AssetCheckResult(check_name=EVERY_BLOCK, passed=not off,
                               metadata={"courses_off": dg.MetadataValue.json(off), "courses": len(blocks)})
