"""answer_distribution: per problem part, each answer given, right or wrong, first and last answers."""

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
from edx_assets.edx.reports import answers
from edx_assets.edx.reports.learners import learners_totals


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "learner_totals"], kinds={"mongodb", "polars", "csv"}, check_specs=[
        checks.spec(ctx, "answer_distribution", "first_and_last_answers_one_per_learner_and_part",
                    "Per problem part, first_response_count and last_response_count each add up to "
                    "the same number of learners (every learner has one first and one last answer).")])
    def answer_distribution(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                            reports: ReportsResource, s3: S3Resource):
        """`answer_distribution.csv`, edx-analytics-pipeline's answer distribution (Insights' "Performance:
        answer distribution"; answer_dist.py, `ProblemCheckEventMixin._generate_answers` and
        `AnswerDistributionPerCourseMixin.reducer`): course_id, problem_id (module_id there; the structure's
        block id, matched whatever the events' id form), problem_name (structure display name), part_id (the
        response part as the event wrote it, e.g. `<id>_2_1`: the submission's parts), question_text (from the
        events' `submission`), variant (randomized problems' seed; empty otherwise -- variants are kept apart),
        answer_value (the text the learner saw: the submission's answer, else the value sent; a list
        `[a|b]`), correct (as graded; empty when no event graded it), first_response_count (learners whose
        first answer to the part it was), last_response_count (learners whose last answer it was) and, added,
        answer_value_id (the value the event's `answers` sent, e.g. `choice_0`). From server-side problem_check
        events of every learner day before the week's Sunday (learner_totals' answer_detail); the course team
        left out unless EDX_REPORTS_INCLUDE_COURSE_TEAM. The pipeline's answer_value_numeric is not produced.
        """
        week = context.partition_key
        until = week_sunday(week)
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)
            table = per_course_table(courses, lambda c: answers.distribution(
                db, c, learners_totals(db, c, until, reports.team(db, c), ["answer_detail"])), answers.COLUMNS)
        wrong = table.filter(~pl.col("correct").cast(pl.Boolean, strict=False).fill_null(True))
        result, materialized = publish_frame(week, workspace, reports, s3, "answer_distribution", table,
                                             answers.COLUMNS, {"wrong_answer_values": wrong.height,
                                                               "answer_values_not_graded": table.filter(
                                                                   pl.col("correct").is_null()).height})
        yield materialized
        frame = checks.read_back(result.path).with_columns(
            pl.col("first_response_count").cast(pl.Int64), pl.col("last_response_count").cast(pl.Int64))
        sums = frame.group_by("course_id", "problem_id", "part_id").agg(
            pl.col("first_response_count").sum(), pl.col("last_response_count").sum())
        off = sums.filter(pl.col("first_response_count") != pl.col("last_response_count"))
        yield dg.AssetCheckResult(check_name="first_and_last_answers_one_per_learner_and_part", passed=off.height == 0,
                                  metadata={"parts": sums.height, "parts_off": dg.MetadataValue.json(off.head(10).to_dicts())})

    return dg.Definitions(assets=[answer_distribution])
