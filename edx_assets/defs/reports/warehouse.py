"""warehouse: every weekly report as Parquet and in one DuckDB file, for SQL and BI tools."""

from datetime import timedelta

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, markdown_table, permanent_failures
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import the_week_before, week_sunday, weekly_report
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx import learner_totals as lt
from edx_assets.edx import retirement
from edx_assets.edx import warehouse as wh

# The weekly assets whose CSV files the warehouse holds (each a table).
REPORT_ASSETS = ["general_report", "enrollments_report", "active_users_report", "learner_locations_report",
                 "learners_master", "person_course", "course_summary", "enrollment_daily", "video_engagement",
                 "problem_analysis", "video_segments", "answer_distribution", "at_risk_learners", "engagement_segments",
                 "enrollment_by_demographics_daily", "geography", "forum_activity", "retention_by_cohort",
                 "course_axis", "grading_policy", "person_grades", "person_subsection_grades", "person_problem",
                 "person_item", "course_item", "item_reliability", "time_on_asset", "section_engagement",
                 "ora_activity"]
ROWS_MATCH = "rows_match_csv"


def build(ctx: Build) -> dg.Definitions:
    days = [dg.AssetDep(daily, partition_mapping=the_week_before(1)) for daily in wh.FACT_SOURCES]

    @weekly_report(ctx, deps=[*REPORT_ASSETS, *days], kinds={"duckdb", "parquet"}, check_specs=[
        checks.spec(ctx, "warehouse", ROWS_MATCH,
                    "For every report file of the week, its table in the DuckDB file holds as many rows of the "
                    "week as the CSV has; each day's fact files hold as many rows as its MongoDB collection.")])
    def warehouse(context: dg.AssetExecutionContext, workspace: WorkspaceResource, reports: ReportsResource,
                  s3: S3Resource, mongo: MongoResource):
        """The SQL warehouse, documented. Every report CSV of the week is also written as Parquet,
        `reports/{week}/parquet/<table>.parquet` (typed from the report columns' declared types, plus `week`;
        each field carries its definition as field metadata). The days of the week's facts, `learner_day`
        (its scalar columns; no username) and `activity_daily`, are written from MongoDB as Parquet
        partitioned by day, `{EDX_DATA_DIR}/warehouse/facts/<table>/day=<day>/` (a day with no rows has no
        file; learners retired since are removed from earlier days' files). `{EDX_DATA_DIR}/warehouse/
        edx.duckdb` is rebuilt from every week's Parquet files: one table per report holding every week loaded
        so far (`week`, a date, is a column), a view `latest_<table>` (the newest week), the dimensions
        `dim_course`, `dim_learner`, `dim_module` and the facts `fact_learner_day`, `fact_activity_daily`
        (views over the day files). Every table, view and column carries its definition (`COMMENT ON`; the
        same text as the UI's column schema); docs/data-dictionary.md lists them, how they join, and worked
        SQL examples. Tables: the report files' names (`active_users` is the all-courses file;
        `learners_master` drops the date from its name). The file is written aside and renamed over the live
        one, so a BI tool never sees a half-built database. With EDX_REPORTS_BUCKET the weekly Parquet files
        are also copied next to the CSVs (`.../{week}/parquet/`). Personal data is what the CSVs hold (per
        EDX_REPORTS_PII). README "SQL and BI tools" shows how to open it.
        """
        week = context.partition_key
        folder = paths.week_folder(workspace, week)
        sunday = week_sunday(week)
        week_days = [(lt.week_start(sunday) + timedelta(days=i)).isoformat() for i in range(7)]
        written = {}
        client = s3.get_client() if reports.s3_bucket else None  # one client: building one takes 0.3 s
        with permanent_failures():
            for csv_path in sorted(folder.glob("*.csv")):
                done = wh.to_parquet(csv_path, week)
                if done:
                    table, path, rows = done
                    written[table] = rows
                    reports.upload_path(client, path, week, "parquet")
            with mongo.get_database(secondary_ok=True) as db:
                facts = {day: wh.write_day_facts(db, day, workspace.warehouse_dir()) for day in week_days}
                purged = wh.purge_facts(workspace.warehouse_dir(), retirement.registered(db))
                expected = {day: {t: db[source].count_documents({"day": day})
                                  for t, (source, _) in wh.FACT_SOURCES.items()} for day in week_days}
            built = wh.build(workspace.reports_root(), workspace.warehouse_dir())
            stored = wh.week_rows(built.path, week, written)
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": sum(built.tables.values()),
            "path": dg.MetadataValue.path(str(built.path)),
            "bytes": built.bytes,
            "weeks": dg.MetadataValue.json(built.weeks),
            "parquet_folder": dg.MetadataValue.path(str(folder / "parquet")),
            "fact_rows_by_day": dg.MetadataValue.json(facts),
            "fact_rows_of_retired_learners_removed": purged,
            "preview": markdown_table(["table", f"rows of {week}", "rows, every week"],
                                      [[t, written.get(t, 0), n] for t, n in sorted(built.tables.items())], limit=40),
        })
        off = {t: (n, stored.get(t)) for t, n in written.items() if stored.get(t) != n}
        facts_off = {day: (facts[day], expected[day]) for day in week_days if facts[day] != expected[day]}
        yield dg.AssetCheckResult(check_name=ROWS_MATCH, passed=not off and not facts_off and bool(written),
                                  metadata={"tables": len(written), "off (csv, duckdb)": dg.MetadataValue.json(off),
                                            "fact days off (written, in MongoDB)": dg.MetadataValue.json(facts_off)})

    return dg.Definitions(assets=[warehouse])
