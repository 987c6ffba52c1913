"""The demo run: every job of the code location over the sample range, as real runs of the code location
in the local DAGSTER_HOME (each launched through the workspace, as the UI and the daemon launch them), so
they show on the job pages and the timeline, and the sensors see the days as already landed."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from edx_assets.config import EdxConfig
from edx_assets.local.stack import LocalStack

# The runs' full logs are in the UI; steps run in the run's own process (26 small runs on 2 cores).
RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}},
              "execution": {"config": {"in_process": {}}}}
WORKSPACE = Path(__file__).resolve().parents[2] / "workspace.yaml"
LOCATION = "edx_assets"
RUN_TIMEOUT_SECONDS = 1800


def run_demo(stack: LocalStack, config: EdxConfig, days: list[str], weeks: list[str]) -> int:
    import dagster as dg
    from dagster._cli.job import _create_run  # what `dagster job launch` does, without the run queue
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget

    instance = dg.DagsterInstance.get()
    plan = [("daily_events_job", day) for day in days] + [("weekly_courses_job", week) for week in weeks]
    failures = []
    log_path = stack.log_dir / "demo-runs.log"
    print(f"runs (the code server's and the runs' output: {log_path}):")
    with output_to(log_path) as say, WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(WORKSPACE)])) as process:
        workspace = process.create_request_context()
        location = workspace.get_code_location(LOCATION)
        [repo] = location.get_repositories().values()
        for job_name, partition in plan:
            run = _create_run(instance=instance, code_location=location, remote_repo=repo,
                              remote_job=repo.get_full_job(job_name), run_config=RUN_CONFIG,
                              tags={"dagster/partition": partition, "edx/launched_by": "make demo"},
                              op_selection=None, run_id=None)
            instance.launch_run(run.run_id, workspace)
            status = _wait(instance, run.run_id)
            say(f"  {job_name:<22} {partition}  {'ok' if status == dg.DagsterRunStatus.SUCCESS else 'FAILED'}"
                f"  (run {run.run_id[:8]})")
            if status != dg.DagsterRunStatus.SUCCESS:
                failures.append((job_name, partition))
    _summary(stack, config)
    if failures:
        print(f"{len(failures)} run(s) failed: see `make dev` (Runs) for the error of each.")
        return 1
    return 0


@contextmanager
def output_to(path: Path) -> Iterator[Callable[[str], None]]:
    """Send this process's stdout and stderr (and so the code server's and the runs', which inherit
    them) to `path`; yields a function that still prints to the terminal."""
    sys.stdout.flush()
    sys.stderr.flush()
    terminal = os.dup(1)
    saved_err = os.dup(2)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield lambda line: os.write(terminal, (line + "\n").encode())
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(terminal, 1)
            os.dup2(saved_err, 2)
            os.close(terminal)
            os.close(saved_err)


def _wait(instance, run_id: str):
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.is_finished:
            return run.status
        time.sleep(0.5)
    raise TimeoutError(f"run {run_id} did not finish within {RUN_TIMEOUT_SECONDS} s")


def _summary(stack: LocalStack, config: EdxConfig) -> None:
    from pymongo import MongoClient

    client: MongoClient = MongoClient(stack.mongo_uri, serverSelectionTimeoutMS=5000)
    db = client[config.mongo_db]
    print("\nMongoDB collections (documents):")
    for name in sorted(db.list_collection_names()):
        if not name.startswith("_"):
            print(f"  {name:<48} {db[name].estimated_document_count():>9}")
    print("\nPass marks (courses catalog):")
    for course in db.courses.find({}, {"passing_grade": 1, "passing_grade_source": 1}).sort("_id"):
        print(f"  {course['_id']:<48} {course.get('passing_grade')!s:>5}  {course.get('passing_grade_source')}")
    client.close()
    reports = stack.data_dir / "reports"
    files = sorted(reports.rglob("*.csv")) if reports.exists() else []
    if files:
        print(f"\nReport files under {reports}:")
        for path in files:
            print(f"  {path.relative_to(reports)}")
    print(
        "\nOpen the Dagster UI over this run history: `make dev` (http://127.0.0.1:3000)."
        "\nStop MongoDB and S3: `make down`."
    )
