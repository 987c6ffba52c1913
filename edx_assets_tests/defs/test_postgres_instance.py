"""Dagster as deployed: the instance configuration of `deploy/dagster.yaml` (PostgreSQL storage, the queued run
coordinator with its run and backfill limits, the `mongodb` pool's default limit, compute logs on S3), minus
Kubernetes (runs start as local processes instead of Jobs). Real parts: Debian's PostgreSQL server started
here, the `dagster-daemon` process, the code location's gRPC server and run workers, mongod, moto S3, gpg.

A backfill of 7 days of the daily job, submitted with `dagster job backfill`, is run by the daemon from the
queue: every day's `Eventos` holds exactly the valid lines the generator wrote, and at no moment did more runs
of the backfill run than its tag limit (6), nor more `mongodb` steps than the pool's limit (4)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import yaml

from edx_assets.edx import eventos_schema as ev
from edx_assets.local.sample import SampleSpec, generate_delivery, s3_uploader
from edx_assets.local.stack import free_port
from edx_assets_tests.support import ROOT, daemon_running

pytestmark = [pytest.mark.services, pytest.mark.postgres]

SPEC = SampleSpec(start=date(2026, 10, 4), end=date(2026, 10, 10), learners=20, events_per_day=300)
DAYS = [f"2026-10-{d:02d}" for d in range(4, 11)]
TIMEOUT = 480


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    assert found[-1], f"PostgreSQL's {name} is not installed (Debian: apt-get install postgresql; .ci/run does it)"
    return found[-1]


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user Debian's package creates."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@pytest.fixture(scope="module")
def postgres():
    """A private PostgreSQL server (its own data folder and port, trust on loopback), stopped afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="edx-pg-"))  # (not under pytest's 0700 folder: postgres must enter it)
    data, port = folder / "data", free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run(_as_postgres([_postgres_bin("initdb"), "-D", str(data), "-U", "dagster", "--auth=trust",
                                 "-E", "UTF8"]), check=True, capture_output=True)
    subprocess.run(_as_postgres([_postgres_bin("pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
                                 "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start"]),
                   check=True, capture_output=True)
    try:
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "dagster", "-d", "postgres", "-c",
                        "CREATE DATABASE dagster"], check=True, capture_output=True)
        yield {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_USER": "dagster", "DAGSTER_PG_PASSWORD": "unused",
               "DAGSTER_PG_DB": "dagster", "port": port}
    finally:
        subprocess.run(_as_postgres([_postgres_bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def deployed_instance(postgres: dict, s3_endpoint: str) -> dict:
    """deploy/dagster.yaml minus Kubernetes: no K8sRunLauncher (runs start as local processes), the database's
    port here, and the compute logs' S3 endpoint (moto)."""
    config = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    assert config["run_launcher"]["class"] == "K8sRunLauncher"
    del config["run_launcher"]
    config["storage"]["postgres"]["postgres_db"]["port"] = postgres["port"]
    config["compute_logs"]["config"]["endpoint_url"] = s3_endpoint
    return config


def _most_at_once(intervals: list[tuple[float, float]]) -> int:
    moments = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    most = now = 0
    for _, change in moments:  # (an end sorts before a start at the same moment: -1 < 1)
        now += change
        most = max(most, now)
    return most


def test_a_backfill_through_the_daemon_on_postgres_is_exact_and_keeps_the_deployed_limits(
        pipeline_env, postgres, stack, s3_client, public_key, mongo_client, tmp_path, monkeypatch):
    config = deployed_instance(postgres, stack.s3_endpoint)
    s3_client.create_bucket(Bucket="edx-dagster-logs")
    env = {**pipeline_env, **{k: v for k, v in postgres.items() if k != "port"},
           "EDX_DAGSTER_LOGS_BUCKET": "edx-dagster-logs", "EDX_PARTITIONS_START": DAYS[0],
           "EDX_EXECUTOR": "in_process"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    home = Path(env["DAGSTER_HOME"])
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    delivered = generate_delivery(SPEC, public_key, s3_uploader(s3_client), events_bucket=env["EDX_EVENTS_BUCKET"],
                                  courses_bucket=env["EDX_COURSES_BUCKET"])
    instance = dg.DagsterInstance.get()
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"

    bin_dir = Path(sys.executable).parent
    with daemon_running(env, tmp_path / "daemon.log"):
        submitted = subprocess.run([str(bin_dir / "dagster"), "job", "backfill", "-w", str(ROOT / "workspace.yaml"),
                                    "-j", "daily_events_job", "--from", DAYS[0], "--to", DAYS[-1], "--noprompt"],
                                   cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
        assert submitted.returncode == 0, submitted.stdout[-2000:] + submitted.stderr[-2000:]
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            runs = [r for r in instance.get_runs() if "dagster/backfill" in r.tags]
            if len(runs) == len(DAYS) and all(r.is_finished for r in runs):
                break
            time.sleep(2)
    daemon_log = (tmp_path / "daemon.log").read_text()[-4000:]

    records = [r for r in instance.get_run_records() if "dagster/backfill" in r.dagster_run.tags]
    assert len(records) == len(DAYS), ([r.dagster_run.status for r in records], daemon_log)
    assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records), daemon_log
    assert sorted(r.dagster_run.tags["dagster/partition"] for r in records) == DAYS
    db = mongo_client[env["EDX_MONGO_DB"]]
    for day in DAYS:  # every day exact: the documents are the valid lines the generator wrote
        assert db["Eventos"].count_documents({ev.PARTITION: day}) == delivered.days[day].valid, day
    runs_at_once = _most_at_once([(r.start_time, r.end_time) for r in records])
    limit = {d["key"]: d["limit"] for d in config["concurrency"]["runs"]["tag_concurrency_limits"]}
    assert 1 <= runs_at_once <= limit["dagster/backfill"] <= config["concurrency"]["runs"]["max_concurrent_runs"]
    pool_steps = []  # (start, end) of every step of the mongodb pool, from the runs' own event logs
    for record in records:
        started: dict[str, float] = {}
        for entry in instance.all_logs(record.dagster_run.run_id):
            event = entry.dagster_event
            if event and event.step_key in {"decrypt_and_load_event_log", "learner_day", "activity_daily"}:
                if event.event_type == dg.DagsterEventType.STEP_START:
                    started[event.step_key] = entry.timestamp
                elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
                    pool_steps.append((started.pop(event.step_key), entry.timestamp))
    assert len(pool_steps) >= len(DAYS)
    assert _most_at_once(pool_steps) <= config["concurrency"]["pools"]["default_limit"]
    print(f"backfill: {len(records)} runs, at most {runs_at_once} at once, "
          f"{_most_at_once(pool_steps)} mongodb steps at once")
