"""grading_policy: each course's assignment types, weights, counts, drops and cutoffs."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, permanent_failures
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import courses_for, per_course_table, publish_frame, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import grades

POLICY_KNOWN = "every_course_has_a_policy"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections"], kinds={"mongodb", "csv", "polars"}, check_specs=[
        checks.spec(ctx, "grading_policy", POLICY_KNOWN,
                    "Every course's grading policy was found (a course without one is listed: its rows say unknown), "
                    "and each course's weights sum to 1.")])
    def grading_policy(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                       reports: ReportsResource, s3: S3Resource):
        """`grading_policy.csv` (edx2bigquery's `grading_policy`, make_grading_policy_table.py): one row per
        course and GRADER entry of its grading policy: course_id, assignment_type (the entry's type), name
        (its type when unnamed), short_label, fraction_of_overall_grade (its weight), min_count, drop_count,
        passing_grade (the course's pass mark as every report uses it), grade_cutoffs (GRADE_CUTOFFS as JSON:
        edx2bigquery spreads them over overall_cutoff_for_<letter> columns that differ per course) and
        policy_source: where it was found, the OLX export's policies/<run>/grading_policy.json (where edX keeps
        it, and edx2bigquery reads it), else the structure's course block (older exports), else `unknown` (one
        row with the policy's columns empty: unknown, never an invented policy).
        """
        week = context.partition_key
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)
            table = per_course_table(courses, lambda c: grades.policy_frame(c, *grades.grading_policy(db, c)),
                                     grades.POLICY_COLUMNS)
        unknown = sorted(table.filter(pl.col("policy_source") == "unknown").get_column("course_id").to_list())
        result, materialization = publish_frame(week, workspace, reports, s3, "grading_policy", table,
                                                grades.POLICY_COLUMNS, {"courses_without_policy": len(unknown)})
        yield materialization
        frame = checks.read_back(result.path)
        sums = (frame.filter(pl.col("policy_source") != "unknown").group_by("course_id")
                .agg(pl.col("fraction_of_overall_grade").cast(pl.Float64).sum().alias("total")))
        off = {c: round(t, 6) for c, t in sums.iter_rows() if abs(t - 1) > 1e-6}
        yield dg.AssetCheckResult(check_name=POLICY_KNOWN, passed=not unknown and not off,
                                  severity=dg.AssetCheckSeverity.WARN,
                                  metadata={"courses_without_policy": dg.MetadataValue.json(unknown),
                                            "weights_not_summing_to_1": dg.MetadataValue.json(off)})

    return dg.Definitions(assets=[grading_policy])
