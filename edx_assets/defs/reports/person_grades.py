"""person_grades: every learner's course grade, its source and pass, per course."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, permanent_failures
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import courses_for, per_course_table, publish_frame, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import grades

COLUMNS = grades.PERSON_GRADES_COLUMNS
GRADES_ROWS = "one_row_per_learner_with_enrollment_or_grade"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections"], kinds={"mongodb", "csv", "polars"}, check_specs=[
        checks.spec(ctx, "person_grades", GRADES_ROWS,
                    "No (course_id, user_id) twice, and every enrollment and every persistent grade row has its row.")])
    def person_grades(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                      reports: ReportsResource, s3: S3Resource):
        """`person_grades.csv`: per course, one row per enrolled learner and per learner with a grade but no
        enrollment: course_id, user_id, username (per EDX_REPORTS_PII), mode, is_active, enrolled (0 for a
        grade without an enrollment), grade (the persistent course grade, grades_persistentcoursegrade, else the
        latest certificate's grade), letter_grade, passed (edX's passed_timestamp is set; for a certificate
        grade, the grade reaches the pass mark; empty when nothing can say), passed_at, grade_source, and both
        sources as delivered: percent_grade, certificate_grade, certificate_status, certificate_mode,
        grading_policy_hash, grade_modified. edx2bigquery loads the persistent grades as `grades_persistent`
        (make_grades_persistent.py); its person_course grade is the certificate's, which most audit and
        self-paced learners never get: here every learner with a computed grade has one.
        """
        week = context.partition_key
        policy = reports.policy()
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)
            table = per_course_table(courses, lambda c: grades.person_grades_frame(db, c), COLUMNS)
            expected = {c.course_id: set(db[c.collection("enrollments")].distinct("user_id"))
                        | set(db[c.collection("grades_course")].distinct("user_id")) for c in courses}
        result, materialization = publish_frame(week, workspace, reports, s3, "person_grades",
                                                policy.apply_frame(table), policy.columns(COLUMNS), {
                                                    "learners_with_a_grade": int(table["grade"].is_not_null().sum())
                                                    if table.height else 0})
        yield materialization
        frame = checks.read_back(result.path)
        unique = checks.unique_key(GRADES_ROWS, frame, ["course_id", "user_id"])
        written = {c: set(frame.filter(pl.col("course_id") == c).get_column("user_id").cast(pl.Int64).to_list())
                   for c in expected} if frame.height else {c: set() for c in expected}
        missing = {c: len(expected[c] - written[c]) for c in expected if expected[c] - written[c]}
        yield dg.AssetCheckResult(check_name=GRADES_ROWS, passed=unique.passed and not missing,
                                  metadata={**unique.metadata, "learners_missing": dg.MetadataValue.json(missing)})

    return dg.Definitions(assets=[person_grades])
