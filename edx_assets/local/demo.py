"""The demo run: every job of the code location over the sample range, recorded in the local DAGSTER_HOME
(so the runs, their logs and every materialization show in the UI, and the sensors see the days as already
landed). Each run executes in this process through Dagster's public API (`execute_in_process`): no code
server or run worker is started, so nothing is left behind when the demo is interrupted, and no run pays a
process start-up."""

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
DEMO_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
WORKSPACE = Path(__file__).resolve().parents[2] / "workspace.yaml"
LOCATION = "edx_assets"
REPOSITORY_LABEL = f"__repository__@{LOCATION}"


def run_demo(stack: LocalStack, config: EdxConfig, days: list[str], weeks: list[str]) -> int:
    import dagster as dg

    from edx_assets.definitions import build_defs

    instance = dg.DagsterInstance.get()
    defs = build_defs(config)
    plan = [("daily_events_job", day) for day in days] + [("weekly_courses_job", week) for week in weeks]
    failures = []
    log_path = stack.log_dir / "demo-runs.log"
    print(f"runs (their output: {log_path}):")
    with output_to(log_path) as say:
        for job_name, partition in plan:
            started = time.perf_counter()
            result = defs.resolve_job_def(job_name).execute_in_process(
                partition_key=partition, instance=instance, run_config=DEMO_RUN_CONFIG, raise_on_error=False,
                # The tag the UI's job pages and timeline select a code location's runs by (Dagster sets it on
                # runs launched through a workspace): these runs are the code location's.
                tags={"edx/launched_by": "make demo", ".dagster/repository": REPOSITORY_LABEL})
            say(f"  {job_name:<22} {partition}  {'ok' if result.success else 'FAILED'}"
                f"  {time.perf_counter() - started:5.1f} s  (run {result.run_id[:8]})")
            if not result.success:
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
    _where(stack)
    print(
        "\nOpen the Dagster UI over this run history: `make dev` (http://127.0.0.1:3000)."
        "\nStop MongoDB and S3: `make down`."
    )


def _where(stack: LocalStack) -> None:
    """Where the analysts' outputs are, and how to open each."""
    reports = stack.data_dir / "reports"
    weeks = sorted(p.name for p in reports.glob("????-??-??")) if reports.exists() else []
    database = stack.data_dir / "warehouse" / "edx.duckdb"
    dictionary = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"
    print("\nWhere to look:")
    if weeks:
        pages = reports / weeks[-1] / "dashboards" / "index.html"
        if pages.exists():
            print(f"  dashboards (open in a browser, works offline): file://{pages}")
    if database.exists():
        print(f"  warehouse (DuckDB; every table and column described): {database}\n"
              f"    .venv/bin/duckdb -readonly {database} \"select * from dim_course\"\n"
              f"    or from Python: duckdb.connect('{database}', read_only=True)")
    print(f"  data dictionary (tables, columns, joins, SQL examples): {dictionary}")
