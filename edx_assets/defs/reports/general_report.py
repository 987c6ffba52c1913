"""general_report: the cross-course summary (the `reports` collection and general_report.csv)."""

import csv

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import paths
from edx_assets.defs.reports.common import courses_for, publish, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import general
from edx_assets.edx.reports.csv_out import write_csv

TOTALS_RECONCILE = "totals_reconcile_with_enrollments"
ACTIVE_WITHIN_ENROLLED = "active_users_within_enrolled"
PASS_MARK_KNOWN = "pass_mark_known"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(
        ctx,
        deps=["course_collections"],
        check_specs=[
            dg.AssetCheckSpec(TOTALS_RECONCILE, asset="general_report", partitions_def=ctx.weekly,
                              description="Sum of total_users in general_report.csv == enrollment documents."),
            dg.AssetCheckSpec(ACTIVE_WITHIN_ENROLLED, asset="general_report", partitions_def=ctx.weekly,
                              description="No course has more active users than enrollments."),
            dg.AssetCheckSpec(PASS_MARK_KNOWN, asset="general_report", partitions_def=ctx.weekly,
                              description="Every course states its pass mark (structure grading policy or the "
                                          "metadata file); courses without one are listed, their approved_users "
                                          "left empty."),
        ],
    )
    def general_report(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                       reports: ReportsResource, s3: S3Resource):
        """The "colecciones generales": one summary per course.

        `reports` collection: `{_id: course, metadata: {name, sme, start_date, end_date, ...}, report: {users:
        {total, active, certificates: {failed, approved, certified}}, gender, education, countries}}`.
        `general_report.csv`: `id,name,sme,start_date,end_date,total_users,active_users,approved_users,
        certified_users,failed_users,male,female,countries` then other_gender, unknown_gender,
        active_enrollments, unenrolled, verified_enrollments, certificates, passing_grade, in_latest_package.
        total = enrollments; active = enrolled learners with courseware records; failed = certificates
        `notpassing`; approved = certificate grade >= the course's pass mark; certified = `downloadable`;
        countries = distinct profile countries. Name and dates come from the catalog, `sme` from
        EDX_COURSE_METADATA_FILE. passing_grade: the lowest cutoff of the structure's
        `grading_policy.GRADE_CUTOFFS`, else its `grade_cutoffs`, else the metadata file's `passing_grade`;
        passing_grade_source says which, or `unknown`: then passing_grade and approved_users are empty (never
        computed against a guessed mark) and the `pass_mark_known` check warns.
        """
        week = context.partition_key
        with mongo.get_database(secondary_ok=True) as db:
            courses = courses_for(db, reports)
            summaries = list(general.summaries(db, courses))  # one small document per course
            for summary in summaries:
                db.reports.replace_one({"_id": summary["_id"]}, {**summary, "week": week}, upsert=True)
            enrollment_docs = sum(db[c.collection("enrollments")].count_documents({}) for c in courses)
        path = paths.report_csv(workspace, week, "general_report")
        result = write_csv(path, general.CSV_COLUMNS, (general.csv_row(s) for s in summaries))
        with path.open(encoding="utf-8", newline="") as handle:  # read the file back, as an analyst would
            rows = list(csv.DictReader(handle))
        csv_total = sum(int(r["total_users"]) for r in rows)
        over = [r["id"] for r in rows if int(r["active_users"]) > int(r["total_users"])]
        no_mark = [c.course_id for c in courses if c.passing_grade is None]
        yield dg.MaterializeResult(metadata={**publish(result, reports, s3, week, table="general_report"), "courses": len(courses),
                                             "enrollments": enrollment_docs})
        yield dg.AssetCheckResult(check_name=TOTALS_RECONCILE, passed=csv_total == enrollment_docs,
                                  metadata={"csv_total_users": csv_total, "enrollment_documents": enrollment_docs})
        yield dg.AssetCheckResult(check_name=ACTIVE_WITHIN_ENROLLED, passed=not over,
                                  metadata={"courses_over": dg.MetadataValue.json(over)})
        yield dg.AssetCheckResult(
            check_name=PASS_MARK_KNOWN, passed=not no_mark, severity=dg.AssetCheckSeverity.WARN,
            description=(f"{len(no_mark)} course(s) state no pass mark: approved_users left empty" if no_mark
                         else "every course states its pass mark"),
            metadata={"courses_without_pass_mark": dg.MetadataValue.json(no_mark),
                      "pass_mark_sources": dg.MetadataValue.json(
                          {c.course_id: c.passing_grade_source for c in courses})})

    return dg.Definitions(assets=[general_report])
