"""Late and re-delivered data with only the daemon running: a day re-delivered with changed events brings
that day's tables and every later week's learner_totals and person_course up to date, and nothing else.

Real parts: the `dagster-daemon` process (arrival sensor, refresh sensor, backfill daemon, run queue) over
a sqlite instance, runs launched through the code location's gRPC server, mongod, moto S3 and gpg.
"""

from __future__ import annotations

import gzip
import json
import time
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from edx_assets.edx import eventos_schema as ev
from edx_assets.local.dagster_home import DAGSTER_YAML
from edx_assets.local.sample import SampleSpec, generate_delivery, s3_uploader, write_event_log
from edx_assets.local.sample_world import SampleWorld
from edx_assets_tests.support import daemon_running, defs_of, encrypt_bytes

SPEC = SampleSpec(start=date(2026, 10, 4), end=date(2026, 10, 18), learners=12, events_per_day=60)
DAYS = ["2026-10-04", "2026-10-05", "2026-10-06", "2026-10-12"]  # delivered; the other days are not
WEEKS = ["2026-10-04", "2026-10-11", "2026-10-18"]
REDELIVERED = "2026-10-05"
DROPPED = 15  # learner events cut from the re-delivered day
WEEKLY = ["raw_course_package", "decrypted_course_package", "course_collections", "retired_learners",
          "learner_totals", "learner_ips", "learner_locations_report", "person_course"]
DAILY = ["raw_event_log", "decrypted_event_log", "eventos", "learner_day", "activity_daily"]
# What the re-delivered day may change: its own tables, and the weeks after it.
MAY_CHANGE = {*((a, REDELIVERED) for a in ["s3_event_log", *DAILY]),
              *((a, w) for a in ["learner_totals", "learner_ips", "learner_locations_report", "person_course"]
                for w in ("2026-10-11", "2026-10-18"))}
MUST_CHANGE = {("eventos", REDELIVERED), ("learner_day", REDELIVERED), ("learner_totals", "2026-10-11"),
               ("learner_totals", "2026-10-18"), ("person_course", "2026-10-11"), ("person_course", "2026-10-18")}
TIMEOUT = 420


@pytest.fixture
def env(pipeline_env, s3_client, public_key, tmp_path, monkeypatch) -> dict[str, str]:
    env = {**pipeline_env, "EDX_PARTITIONS_START": "2026-10-04", "EDX_EXECUTOR": "in_process",
           "EDX_SENSOR_INTERVAL_SECONDS": "2", "EDX_AUTOMATION_INTERVAL_SECONDS": "2"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    Path(env["DAGSTER_HOME"]).mkdir(parents=True)
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text(DAGSTER_YAML)
    delivered = generate_delivery(SPEC, public_key, s3_uploader(s3_client), events_bucket=env["EDX_EVENTS_BUCKET"],
                                  courses_bucket=env["EDX_COURSES_BUCKET"])
    for day, key in delivered.event_keys.items():  # days never delivered: nothing for the sensor to load
        if day not in DAYS:
            s3_client.delete_object(Bucket=env["EDX_EVENTS_BUCKET"], Key=key)
    env["redelivered_key"] = delivered.event_keys[REDELIVERED]
    return env


def _load_history(env: dict[str, str], instance: dg.DagsterInstance) -> None:
    """What the schedules did before: every delivered day, then each week's package and tables."""
    defs = defs_of(env)
    daily = defs.resolve_job_def("daily_events_job")
    for day in DAYS:
        assert daily.execute_in_process(partition_key=day, instance=instance).success
    weekly = defs.resolve_job_def("weekly_courses_job")
    for week in WEEKS:
        selection = dg.AssetSelection.assets(*WEEKLY)
        assert weekly.get_subset(asset_selection=selection.resolve(defs.resolve_asset_graph())) \
            .execute_in_process(partition_key=week, instance=instance).success


def _redeliver(env: dict[str, str], s3_client, public_key: str, workdir: Path) -> int:
    """edX sends the day again with its last DROPPED learner events missing; the lines cut, counted here."""
    plain = workdir / "day.log.gz"
    write_event_log(SampleWorld(SPEC), date.fromisoformat(REDELIVERED), plain)
    lines = gzip.decompress(plain.read_bytes()).splitlines(keepends=True)
    cut = 0
    for i in range(len(lines) - 1, -1, -1):
        try:
            event = json.loads(lines[i])
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("username") and event.get("context", {}).get("course_id"):
            del lines[i]
            cut += 1
            if cut == DROPPED:
                break
    body = encrypt_bytes(public_key, gzip.compress(b"".join(lines)), workdir)
    s3_client.put_object(Bucket=env["EDX_EVENTS_BUCKET"], Key=env["redelivered_key"], Body=body)
    return cut


def _materialized(instance: dg.DagsterInstance, after: float) -> list[tuple[str, str, str]]:
    """(asset, partition, run id) of every materialization stored after `after` (a timestamp)."""
    out = []
    for run in instance.get_runs():
        for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
            if record.timestamp > after:
                m = record.asset_materialization
                out.append((m.asset_key.to_user_string(), m.partition, run.run_id))
    return out


def _failures(instance: dg.DagsterInstance, runs: list) -> list[tuple[str, str, list[str]]]:
    """(job, status, failure messages) of every run that did not succeed."""
    out = []
    for run in runs:
        if run.status != dg.DagsterRunStatus.SUCCESS:
            messages = [f"{r.dagster_event.message} {r.dagster_event.event_specific_data}"[:3000]
                        for r in instance.all_logs(run.run_id) if r.dagster_event and r.dagster_event.is_failure]
            out.append((run.job_name, str(run.status), messages))
    return out


def test_a_redelivered_day_refreshes_every_later_week_and_nothing_else(env, s3_client, public_key, mongo_client,
                                                                          tmp_path):
    instance = dg.DagsterInstance.get()
    _load_history(env, instance)
    db = mongo_client[env["EDX_MONGO_DB"]]
    before = db["Eventos"].count_documents({ev.PARTITION: REDELIVERED})
    started = time.time()
    known_runs = {r.run_id for r in instance.get_runs()}
    cut = _redeliver(env, s3_client, public_key, tmp_path)
    assert cut == DROPPED

    with daemon_running(env, tmp_path / "daemon.log"):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            done = {(a, p) for a, p, _ in _materialized(instance, started)}
            runs = [r for r in instance.get_runs() if r.run_id not in known_runs]
            if done >= MUST_CHANGE and runs and all(r.is_finished for r in runs):
                time.sleep(10)  # a quiet spell (5 ticks of each sensor): no run is started or still going after it
                later = [r for r in instance.get_runs() if r.run_id not in known_runs]
                if len(later) == len(runs) and all(r.is_finished for r in later):
                    break
            time.sleep(3)
    daemon_log = (tmp_path / "daemon.log").read_text()[-4000:]

    runs = [r for r in instance.get_runs() if r.run_id not in known_runs]
    assert runs and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), (_failures(instance, runs), daemon_log)
    changed = _materialized(instance, started)
    pairs = [(a, p) for a, p, _ in changed]
    assert set(pairs) >= MUST_CHANGE, (sorted(set(pairs)), daemon_log)
    assert set(pairs) <= MAY_CHANGE, sorted(set(pairs) - MAY_CHANGE)
    twice = sorted({(a, p, run) for a, p, run in changed if pairs.count((a, p)) > 1})
    assert not twice, ("an asset partition was computed twice", twice,
                       {r.run_id: (r.job_name, dict(r.tags)) for r in runs if r.run_id in {t[2] for t in twice}})
    [sensor_run] = [r for r in runs if r.job_name == "daily_events_job"]
    assert sensor_run.tags.get("dagster/partition") == REDELIVERED
    assert sensor_run.tags.get("edx/job") == "daily_events_job"  # what tells the refresh the run computes the day

    # the re-delivered day's events, counted independently: the new file's lines, less the ones cut
    assert db["Eventos"].count_documents({ev.PARTITION: REDELIVERED}) == before - DROPPED
    checks = {}
    for run in runs:
        for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
            evaluation = record.dagster_event.event_specific_data
            checks[(evaluation.check_name, evaluation.partition)] = evaluation.passed
    assert checks[("nevents_reconcile_with_learner_day", "2026-10-18")] is True
    assert checks[("nevents_reconcile_with_learner_day", "2026-10-11")] is True
