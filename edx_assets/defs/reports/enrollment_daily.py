"""enrollment_daily: per course, day and mode: enrolled, unenrolled, net and cumulative."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import (
    publish,
    reference_time,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx import eventos_schema as ev
from edx_assets.edx.reports import activity
from edx_assets.edx.reports.csv_out import write_csv


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @weekly_report(ctx, deps=[], uses_events=True, check_specs=[
        checks.spec(ctx, "enrollment_daily", "totals_reconcile_with_eventos",
                    "enrolled <= enrollment activations and unenrolled <= deactivations in Eventos before the "
                    "week's Sunday (counted by MongoDB; the difference: events that did not change the learner's "
                    "state), changed_in == changed_out, and cumulative is the running sum of net.")])
    def enrollment_daily(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                         reports: ReportsResource, s3: S3Resource):
        """`enrollment_daily.csv`: per course, day and mode, from the enrollment activation, deactivation
        and mode-change events in Eventos before the week's Sunday, each learner's state followed as
        edx-analytics-pipeline's enrollments.py `DaysEnrolledForEvents` follows it (the mode is that of the
        learner's latest event): enrolled, unenrolled (in the mode the learner was enrolled in), changed_in
        and changed_out (an enrolled learner's mode changing), net = enrolled - unenrolled + changed_in -
        changed_out, and cumulative, the learners enrolled in the mode at the end of the day over the events
        loaded (`activity.enrollment_daily_frame`). An activation of a learner already enrolled, or a
        deactivation of one not enrolled, changes no count (the pipeline's "no state change").
        """
        week = context.partition_key
        with mongo.get_database(secondary_ok=True) as db:
            until = reference_time(week)
            table = activity.enrollment_daily_frame(activity.enrollment_events(db, config.events_collection, until))
            result = write_csv(paths.report_csv(workspace, week, "enrollment_daily"), activity.ENROLLMENT_COLUMNS,
                               table.iter_rows(named=True))
            events = {kind: db[config.events_collection].count_documents(
                {ev.EVENT_TYPE: event_type, ev.TIME: {"$lt": until}, ev.COURSE_ID: {"$ne": None}})
                for kind, event_type in (("enrolled", activity.ACTIVATED), ("unenrolled", activity.DEACTIVATED),
                                         ("mode_changed", activity.MODE_CHANGED))}
        yield dg.MaterializeResult(metadata=publish(result, reports, s3, week, table="enrollment_daily"))
        frame = checks.read_back(result.path).with_columns(
            pl.col("enrolled", "unenrolled", "net", "cumulative", "changed_in", "changed_out").cast(pl.Int64))
        written = {kind: int(frame.get_column(kind).sum()) for kind in ("enrolled", "unenrolled", "changed_in",
                                                                         "changed_out")}
        running = frame.with_columns(pl.col("net").cum_sum().over("course_id", "mode").alias("running"))
        broken = running.filter(pl.col("running") != pl.col("cumulative")).height
        within = written["enrolled"] <= events["enrolled"] and written["unenrolled"] <= events["unenrolled"]
        yield dg.AssetCheckResult(check_name="totals_reconcile_with_eventos",
                                  passed=within and written["changed_in"] == written["changed_out"] and broken == 0,
                                  metadata={"csv": dg.MetadataValue.json(written),
                                            "eventos": dg.MetadataValue.json(events),
                                            "rows_with_wrong_cumulative": broken})

    return dg.Definitions(assets=[enrollment_daily])
