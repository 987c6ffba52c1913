"""at_risk_learners: enrolled learners who stopped coming, or are failing past the course's midpoint."""

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
from edx_assets.edx.reports import risk
from edx_assets.edx.reports.learners import enrollment_frame, week_totals, with_activity


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "learner_totals"], kinds={"mongodb", "polars", "csv"}, check_specs=[
        checks.spec(ctx, "at_risk_learners", "one_row_per_learner_with_a_reason",
                    "No (course_id, user_id) twice, every row names a reason, and no course team member is listed."),
        checks.spec(ctx, "at_risk_learners", "grade_rule_evaluable",
                    "Every course past its midpoint states a pass mark (else its learners cannot be judged on grade: "
                    "listed, never assumed).")])
    def at_risk_learners(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                         reports: ReportsResource, s3: S3Resource):
        """`at_risk_learners.csv`: enrolled (is_active), non-course-team learners at risk at the week's Sunday
        (00:00 UTC), one row each: course_id, user_id, username (per EDX_REPORTS_PII), mode, enrollment_date,
        first_event, last_event, days_inactive (whole days since the last event), nevents, grade (certificate
        grade, empty without one), passing_grade (the course's pass mark), progress (share of leaf blocks
        visited) and reasons (`;`-joined):
        - `inactive_7_days`: the learner was active in the course (an event) but has had none in the 7 days
          before the Sunday (edx-analytics-pipeline's `disengaging` idea, on the learner's whole history);
        - `below_pass_mark_after_midpoint`: the Sunday is past the middle of the course's start..end (catalog)
          and the learner's grade is below the pass mark.
        A learner without a grade, or a course without a pass mark or dates, is not judged on grade: the
        metadata counts them (unknown, never "failing"). Activity from learner_totals; roles from
        `<course>.roles`.
        """
        week = context.partition_key
        until = week_sunday(week)
        policy = reports.policy()
        unjudged = {}
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)

            def course_rows(course):
                totals = week_totals(db, course, until, risk.ACTIVITY).select("user_id", *risk.ACTIVITY)
                learners = with_activity(enrollment_frame(db, course, None), totals)
                midpoint = risk.past_midpoint(course, risk.sunday_start(until))
                if midpoint and course.passing_grade is None:
                    unjudged[course.course_id] = "no pass mark"
                elif midpoint is None:
                    unjudged[course.course_id] = "no start/end dates"
                return risk.at_risk(course, learners, until)

            table = per_course_table(courses, course_rows, risk.AT_RISK_COLUMNS)
        reasons = table.get_column("reasons").str.split(";").explode().value_counts() if table.height else None
        result, materialized = publish_frame(week, workspace, reports, s3, "at_risk_learners", policy.apply_frame(table),
                                             policy.columns(risk.AT_RISK_COLUMNS), {
                                                 "by_reason": dg.MetadataValue.json(
                                                     {r["reasons"]: r["count"] for r in reasons.to_dicts()} if reasons is not None else {}),
                                                 "courses_not_judged_on_grade": dg.MetadataValue.json(unjudged)})
        yield materialized
        frame = checks.read_back(result.path)
        unique = checks.unique_key("one_row_per_learner_with_a_reason", frame, ["course_id", "user_id"])
        blank = frame.filter(pl.col("reasons").is_null()).height
        yield dg.AssetCheckResult(check_name=unique.check_name, passed=unique.passed and blank == 0,
                                  metadata={**unique.metadata, "rows_without_reason": blank})
        no_mark = {k: v for k, v in unjudged.items() if v == "no pass mark"}
        yield dg.AssetCheckResult(check_name="grade_rule_evaluable", passed=not no_mark,
                                  severity=dg.AssetCheckSeverity.WARN,
                                  metadata={"courses_not_judged_on_grade": dg.MetadataValue.json(unjudged)})

    return dg.Definitions(assets=[at_risk_learners])
