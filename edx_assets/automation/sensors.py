"""Sensors: S3 arrivals request the matching partition; run failures are recorded with partition and assets."""

import json
from datetime import UTC, datetime

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.automation.jobs import daily_events_job, weekly_courses_job
from edx_assets.edx import arrivals, landing, layout
from edx_assets.partitions import daily_partitions, weekly_partitions
from edx_assets.resources import WorkspaceResource
from edx_assets.settings import load_settings

INTERVAL = 300  # seconds between looks at the buckets


def _requests(context: dg.SensorEvaluationContext, objects: list[dict], to_partition,
              partitions: dg.PartitionsDefinition) -> dg.SensorResult:
    cursor = json.loads(context.cursor) if context.cursor else None
    fresh, next_cursor = arrivals.new_arrivals(objects, cursor)
    existing = set(partitions.get_partition_keys(current_time=datetime.now(UTC)))
    requests, skipped = [], []
    for arrival in fresh:
        partition = to_partition(arrival.key)
        if partition is None:
            continue  # not a delivery of this org/site
        if partition not in existing:
            skipped.append(arrival.key)
            continue
        requests.append(dg.RunRequest(run_key=arrival.ident, partition_key=partition,
                                      tags={"edx/s3_key": arrival.key, "edx/etag": arrival.etag}))
    if skipped:
        context.log.info(f"outside the partitions (before EDX_PARTITIONS_START or not yet a partition): {skipped}")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(next_cursor))


@dg.sensor(job=daily_events_job, minimum_interval_seconds=INTERVAL,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Requests the day's events load when its tracking log appears or changes in S3.")
def event_log_arrivals(context: dg.SensorEvaluationContext, s3: S3Resource) -> dg.SensorResult:
    settings = load_settings()
    prefix = f"{settings.org}/{settings.site}/events/"
    objects = landing.list_objects(s3.get_client(), settings.events_bucket, prefix)

    def to_partition(key: str) -> str | None:
        parsed = layout.parse_event_log_key(key)
        return parsed[2].isoformat() if parsed and parsed[:2] == (settings.org, settings.site) else None

    return _requests(context, objects, to_partition, daily_partitions)


@dg.sensor(job=weekly_courses_job, minimum_interval_seconds=INTERVAL,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Requests the week's course load when its package appears or changes in S3.")
def course_package_arrivals(context: dg.SensorEvaluationContext, s3: S3Resource) -> dg.SensorResult:
    settings = load_settings()
    objects = landing.list_objects(s3.get_client(), settings.courses_bucket, f"{settings.org}-")

    def to_partition(key: str) -> str | None:
        parsed = layout.parse_course_package_key(key)
        return parsed[1].isoformat() if parsed and parsed[0] == settings.org else None

    return _requests(context, objects, to_partition, weekly_partitions)


@dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.RUNNING,
                       monitored_jobs=[daily_events_job, weekly_courses_job],
                       description="Records each failed run with its partition and failed assets.")
def record_run_failures(context: dg.RunFailureSensorContext, workspace: WorkspaceResource) -> None:
    run = context.dagster_run
    failed_steps = [event.step_key for event in context.get_step_failure_events()]
    record = {
        "time": datetime.now(UTC).isoformat(),
        "run_id": run.run_id,
        "job": run.job_name,
        "partition": run.tags.get("dagster/partition"),
        "assets": failed_steps,
        "error": (context.failure_event.message or "")[:2000],
    }
    context.log.error(f"run {run.run_id} of {run.job_name} failed for partition {record['partition']}: "
                      f"assets {failed_steps}")
    path = workspace.failures_log()
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
