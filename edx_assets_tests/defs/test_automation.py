"""Sensors over real S3 listings, the run-failure sensor, retries and backfills."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource
from pymongo import MongoClient
from pymongo.errors import AutoReconnect

from edx_assets.defs.resources import MongoResource
from edx_assets_tests.support import assets, defs_of, resources_for


def _s3(stack) -> S3Resource:
    return S3Resource(endpoint_url=stack.s3_endpoint, region_name="us-east-1",
                      aws_access_key_id="k", aws_secret_access_key="s")


def _evaluate(name: str, env: dict, stack, cursor=None, instance=None):
    """Evaluate the code location's sensor `name`, built for `env`'s configuration."""
    defs = defs_of(env)
    with dg.build_sensor_context(cursor=cursor, resources={"s3": _s3(stack)}, repository_def=defs.get_repository_def(),
                                 instance=instance or dg.DagsterInstance.ephemeral()) as context:
        return defs.resolve_sensor_def(name)(context)


def test_a_day_already_landed_with_the_same_etag_is_not_requested_again(delivered_env, delivery, stack):
    """As after `make demo`: the sensor's first look finds every object, but the landed ones are not
    loaded again; each object is still reported as delivered; a re-delivery (new ETag) is requested."""
    instance = dg.DagsterInstance.ephemeral()
    dg.materialize(assets(delivered_env, "raw_event_log"), partition_key="2026-10-04",
                   resources=resources_for(delivered_env), instance=instance)
    result = _evaluate("event_log_arrivals", delivered_env, stack, instance=instance)
    assert sorted(r.partition_key for r in result.run_requests) == ["2026-10-05", "2026-10-06"]
    assert sorted(e.partition for e in result.asset_events) == ["2026-10-04", "2026-10-05", "2026-10-06"]
    assert {e.asset_key.to_user_string() for e in result.asset_events} == {"s3_event_log"}


def test_event_sensor_requests_new_and_changed_days_from_a_real_listing(pipeline_env, delivery, s3_client, stack):
    delivered, names = delivery
    bucket = pipeline_env["EDX_EVENTS_BUCKET"]

    def deliver(day: str, source_day: str | None = None) -> None:
        key = delivered.event_keys[day]
        source = delivered.event_keys[source_day or day]
        s3_client.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": names["events"], "Key": source},
                              MetadataDirective="REPLACE")

    deliver("2026-10-05")
    s3_client.put_object(Bucket=bucket, Key="otherorg/edx/events/2026/otherorg-edx-events-2026-10-05.log.gz.gpg",
                         Body=b"x")
    first = _evaluate("event_log_arrivals", pipeline_env, stack)
    assert [r.partition_key for r in first.run_requests] == ["2026-10-05"]

    quiet = _evaluate("event_log_arrivals", pipeline_env, stack, first.cursor)
    assert quiet.run_requests == []

    time.sleep(1.1)  # S3 LastModified has one-second resolution
    deliver("2026-10-04")  # late: its key sorts before the one already seen
    deliver("2026-10-05", source_day="2026-10-06")  # re-delivered with other content
    later = _evaluate("event_log_arrivals", pipeline_env, stack, quiet.cursor)
    assert sorted(r.partition_key for r in later.run_requests) == ["2026-10-04", "2026-10-05"]
    assert len({r.run_key for r in later.run_requests} | {r.run_key for r in first.run_requests}) == 3


def test_package_sensor_requests_the_sunday_partition(pipeline_env, delivery, s3_client, stack):
    delivered, names = delivery
    key = delivered.package_keys["2026-10-04"]
    s3_client.copy_object(Bucket=pipeline_env["EDX_COURSES_BUCKET"], Key=key,
                          CopySource={"Bucket": names["courses"], "Key": key})
    s3_client.put_object(Bucket=pipeline_env["EDX_COURSES_BUCKET"], Key="idbx-2026-09-27.zip", Body=b"old")
    result = _evaluate("course_package_arrivals", pipeline_env, stack)
    assert [r.partition_key for r in result.run_requests] == ["2026-10-04"]  # 09-27 precedes the partitions


class FlakyMongo(MongoResource):
    """A MongoDB whose first connection attempts fail as during a failover (state kept in a file)."""

    counter_file: str
    failures: int = 1

    def get_database(self):
        counter = Path(self.counter_file)
        count = int(counter.read_text() or 0) if counter.exists() else 0
        counter.write_text(str(count + 1))
        if count < self.failures:
            raise AutoReconnect("connection reset by peer (injected)")
        return super().get_database()


def test_a_transient_mongodb_failure_is_retried_and_the_day_completes(delivered_env, delivery, stack, tmp_path):
    resources = resources_for(delivered_env)
    resources["mongo"] = FlakyMongo(uri=stack.mongo_uri, database=delivered_env["EDX_MONGO_DB"],
                                    counter_file=str(tmp_path / "attempts"))
    result = dg.materialize(assets(delivered_env, "raw_event_log", "decrypted_event_log", "eventos"),
                            partition_key="2026-10-04", resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert [e.step_key for e in retried] == ["decrypt_and_load_event_log"]  # the step that loads eventos
    db = MongoClient(stack.mongo_uri)[delivered_env["EDX_MONGO_DB"]]
    assert db.Eventos.count_documents({}) == delivery[0].days["2026-10-04"].valid


def test_run_failure_sensor_records_partition_and_asset(pipeline_env, tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    job = defs_of(pipeline_env).resolve_job_def("daily_events_job")
    result = job.execute_in_process(partition_key="2026-10-06", instance=instance, raise_on_error=False,
                                    resources=resources_for(pipeline_env))
    assert not result.success
    failure_event = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    workspace = resources_for(pipeline_env)["workspace"]
    context = dg.build_run_status_sensor_context(
        sensor_name="record_run_failures", dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=failure_event, resources={"workspace": workspace},
    ).for_run_failure()
    defs_of(pipeline_env).resolve_sensor_def("record_run_failures")(context)
    [line] = workspace.failures_log().read_text().splitlines()
    record = json.loads(line)
    assert record["partition"] == "2026-10-06" and record["job"] == "daily_events_job"
    assert record["assets"] == ["raw_event_log"]


def test_a_cli_backfill_gives_the_same_collection_as_scheduled_runs(delivered_env, delivery, stack, tmp_path):
    """`dagster job backfill` over two days (runs launched as separate processes) == two scheduled runs."""
    days = ["2026-10-04", "2026-10-05"]
    scheduled_db = delivered_env["EDX_MONGO_DB"]
    job = defs_of(delivered_env).resolve_job_def("daily_events_job")
    for day in days:
        assert job.execute_in_process(partition_key=day, instance=dg.DagsterInstance.ephemeral(),
                                      resources=resources_for(delivered_env)).success
    home = tmp_path / "dagster-home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n"
        "telemetry:\n  enabled: false\n")
    # Each run in its own process (the default run launcher), its steps in that process (no isolation needed).
    env = {**os.environ, **delivered_env, "DAGSTER_HOME": str(home), "EDX_MONGO_DB": scheduled_db + "_bf",
           "EDX_DATA_DIR": str(tmp_path / "bf-data"), "EDX_EXECUTOR": "in_process"}
    subprocess.run([os.path.join(os.path.dirname(sys.executable), "dagster"), "job", "backfill",
                    "-m", "edx_assets.definitions", "-j", "daily_events_job", "--partitions", ",".join(days),
                    "--noprompt"], env=env, check=True, capture_output=True, timeout=300)
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        instance = dg.DagsterInstance.get()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            runs = instance.get_runs()
            if len(runs) == len(days) and all(r.is_finished for r in runs):
                break
            time.sleep(2)
        assert sorted(r.tags["dagster/partition"] for r in runs) == days
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    finally:
        os.environ["DAGSTER_HOME"] = delivered_env["DAGSTER_HOME"]
    client = MongoClient(stack.mongo_uri)

    def content(db_name: str) -> list:
        return sorted((d["_id"], d["_edx"]["time"], d.get("event_type")) for d in
                      client[db_name].Eventos.find({}, {"_edx.time": 1, "event_type": 1}))

    assert content(scheduled_db + "_bf") == content(scheduled_db)
    assert len(content(scheduled_db)) == sum(delivery[0].days[d].valid for d in days)
    client.drop_database(scheduled_db + "_bf")


def test_make_backfill_loads_a_range_of_days_as_tagged_runs(delivered_env, delivery, stack, tmp_path, monkeypatch):
    """`make backfill FROM= TO=` (edx_assets.local.backfill): one run per day in the instance, tagged with the
    backfill, every day's events stored once (the sample's ground truth), with EDX_EVENTS_PARSERS and an
    opt-in index set; run again, it leaves the collection as it was."""
    from datetime import date

    from edx_assets.config import EdxConfig
    from edx_assets.local.backfill import partitions_between, run_backfill

    days = ["2026-10-04", "2026-10-05", "2026-10-06"]
    monkeypatch.setenv("EDX_EVENTS_PARSERS", "2")
    monkeypatch.setenv("EDX_EVENTS_EXTRA_INDEXES", "course_time")
    Path(delivered_env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    config = EdxConfig.from_env()
    truth = {day: delivery[0].days[day].valid for day in days}

    summary = run_backfill(config, date(2026, 10, 4), date(2026, 10, 6), log_path=tmp_path / "backfill.log")
    assert summary.failed == [] and summary.days == days
    assert summary.events == sum(truth.values()) and summary.events_per_second > 0
    instance = dg.DagsterInstance.get()
    runs = instance.get_runs(dg.RunsFilter(tags={"edx/backfill": summary.backfill_id}))
    assert sorted(r.run_id for r in runs) == sorted(summary.run_ids)
    assert sorted(r.tags["dagster/partition"] for r in runs) == days
    assert all(r.status == dg.DagsterRunStatus.SUCCESS and r.job_name == "daily_events_job" for r in runs)
    events = MongoClient(stack.mongo_uri)[delivered_env["EDX_MONGO_DB"]].Eventos
    assert {day: events.count_documents({"_edx.partition": day}) for day in days} == truth
    assert set(events.index_information()) == {"_id_", "partition_load", "enrollment_events", "enrollment_mode_changes",
                                               "course_time"}
    before = sorted(d["_id"] for d in events.find({}, {"_id": 1}))

    again = run_backfill(config, date(2026, 10, 4), date(2026, 10, 6), log_path=tmp_path / "backfill.log")
    assert again.failed == [] and again.events == summary.events
    assert sorted(d["_id"] for d in events.find({}, {"_id": 1})) == before
    with pytest.raises(ValueError, match="EDX_PARTITIONS_START"):
        partitions_between(date(2026, 9, 30), date(2026, 10, 6), config, days)
    assert partitions_between(date(2026, 10, 4), date(2026, 10, 12), config, ["2026-10-04", "2026-10-11"]) == [
        "2026-10-04", "2026-10-11"]  # the weekly job's Sundays in the range
    with pytest.raises(ValueError, match="no partition"):
        partitions_between(date(2026, 10, 5), date(2026, 10, 10), config, ["2026-10-04", "2026-10-11"])


def _tick(name: str, env: dict, stack, when):
    defs = defs_of(env)
    with dg.build_schedule_context(scheduled_execution_time=when, resources={"s3": _s3(stack)},
                                   repository_def=defs.get_repository_def()) as context:
        return defs.resolve_schedule_def(name).evaluate_tick(context)


def test_daily_schedule_asks_for_yesterday_once_delivered_and_skips_it_before(pipeline_env, delivery, s3_client,
                                                                             stack):
    from datetime import UTC, datetime

    schedule = defs_of(pipeline_env).resolve_schedule_def("daily_events_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING and schedule.cron_schedule == "0 20 * * *"
    when = datetime(2026, 10, 6, 20, 0, tzinfo=UTC)
    waiting = _tick("daily_events_schedule", pipeline_env, stack, when)
    assert not waiting.run_requests and "not delivered by edX yet" in waiting.skip_message
    delivered, names = delivery
    key = delivered.event_keys["2026-10-05"]
    s3_client.copy_object(Bucket=pipeline_env["EDX_EVENTS_BUCKET"], Key=key,
                          CopySource={"Bucket": names["events"], "Key": key})
    [request] = _tick("daily_events_schedule", pipeline_env, stack, when).run_requests
    assert request.partition_key == "2026-10-05"


def test_daily_schedule_across_the_year_boundary_uses_the_files_year(pipeline_env, s3_client, stack):
    from datetime import UTC, date, datetime

    from edx_assets.edx import layout

    key = layout.event_log_key("idbx", "edx", date(2026, 12, 31))
    assert key.startswith("idbx/edx/events/2026/")
    s3_client.put_object(Bucket=pipeline_env["EDX_EVENTS_BUCKET"], Key=key, Body=b"x")
    [request] = _tick("daily_events_schedule", pipeline_env, stack, datetime(2027, 1, 1, 20, tzinfo=UTC)).run_requests
    assert request.partition_key == "2026-12-31"


def test_weekly_schedule_loads_that_sundays_package_and_other_days_the_latest_sunday(pipeline_env, s3_client,
                                                                                    stack):
    from datetime import UTC, datetime

    schedule = defs_of(pipeline_env).resolve_schedule_def("weekly_courses_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING and schedule.cron_schedule == "0 23 * * 0"
    sunday_night = datetime(2026, 10, 18, 23, 0, tzinfo=UTC)
    assert "not delivered by edX yet" in _tick("weekly_courses_schedule", pipeline_env, stack,
                                               sunday_night).skip_message
    for sunday in ("2026-10-18", "2026-12-27"):
        s3_client.put_object(Bucket=pipeline_env["EDX_COURSES_BUCKET"], Key=f"idbx-{sunday}.zip", Body=b"x")
    for when, week in ((sunday_night, "2026-10-18"), (datetime(2026, 10, 19, 1, tzinfo=UTC), "2026-10-18"),
                       (datetime(2027, 1, 2, 23, tzinfo=UTC), "2026-12-27")):
        [request] = _tick("weekly_courses_schedule", pipeline_env, stack, when).run_requests
        assert request.partition_key == week, when


def test_the_refresh_ignores_what_a_run_of_the_assets_own_job_updated_but_not_another_run(delivered_env, delivery,
                                                                                          stack):
    """The race the refresh once lost under load: a tick that sees learner_day updated by the daily job's run
    while that run has not yet written activity_daily. A run of the daily job (tagged edx/job) computes
    activity_daily itself, so the tick must not request it; learner_day recomputed by any other run must."""
    instance = dg.DagsterInstance.ephemeral()
    defs = defs_of(delivered_env)
    day, activity = "2026-10-04", dg.AssetKey("activity_daily")
    daily = defs.resolve_job_def("daily_events_job")
    assert daily.execute_in_process(partition_key=day, instance=instance).success
    cursor = dg.evaluate_automation_conditions(defs=defs, instance=instance).cursor  # the first tick sees history

    # the daily job's run, up to learner_day (what a tick sees in the middle of the run)
    mid_run = daily.get_subset(asset_selection={dg.AssetKey("learner_day")}).execute_in_process(
        partition_key=day, instance=instance)
    assert mid_run.success and mid_run.dagster_run.tags.get("edx/job") == "daily_events_job"
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    assert tick.total_requested == 0, tick.get_requested_partitions(activity)

    # learner_day recomputed by a run of its own (the UI, a refresh): activity_daily of that day follows
    dg.materialize(assets(delivered_env, "eventos", "learner_day", "activity_daily"), partition_key=day,
                   resources=resources_for(delivered_env), instance=instance, selection=["learner_day"])
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert tick.get_requested_partitions(activity) == {day}
