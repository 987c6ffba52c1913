"""record_run_failures: every failed run of the code location, logged and appended to a JSON-lines file."""

import json
from datetime import UTC, datetime

import dagster as dg

from edx_assets.defs.common import Build
from edx_assets.defs.resources import WorkspaceResource


def build(ctx: Build) -> dg.Definitions:
    # No monitored_jobs: every job of this code location, the asset jobs of single-asset
    # materializations from the UI included.
    @dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.RUNNING,
                           description="Records each failed run (any job) with its partition and failed assets.")
    def record_run_failures(context: dg.RunFailureSensorContext, workspace: WorkspaceResource) -> None:
        run = context.dagster_run
        failed_steps = {event.step_key for event in context.get_step_failure_events()}
        # The assets those steps were to materialize and did not (a step may make two: decrypt and load).
        planned = context.instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED).records
        made = {r.event_log_entry.dagster_event.asset_key for r in context.instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records}
        failed_assets = sorted({r.event_log_entry.dagster_event.asset_key.to_user_string() for r in planned
                                if r.event_log_entry.dagster_event.step_key in failed_steps}
                               - {key.to_user_string() for key in made}) or sorted(failed_steps)
        record = {
            "time": datetime.now(UTC).isoformat(),
            "run_id": run.run_id,
            "job": run.job_name,
            "partition": run.tags.get("dagster/partition"),
            "assets": failed_assets,
            "error": (context.failure_event.message or "")[:2000],
        }
        context.log.error(f"run {run.run_id} of {run.job_name} failed for partition {record['partition']}: "
                          f"assets {failed_assets}")
        with workspace.failures_log().open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    return dg.Definitions(sensors=[record_run_failures])
