"""`make backfill FROM=… TO=…`: a range of days loaded a few at a time, through Dagster's public API.

Each day is one run of the job, recorded in the local DAGSTER_HOME like any run (its logs, materializations
and checks in the UI) and tagged `edx/backfill=<id>` (the Runs page filters by it). The runs execute in worker
processes with `execute_in_process` (2 at once by default: on a 2-core machine each day's load already keeps
a parse process and mongod busy): no daemon, code server or run worker is needed, each worker imports the
code location once rather than once per run, and interrupting the command stops its workers with it. Days
already loaded from the same file are left as they are (the loads are idempotent), so a backfill can be run
again after a failure: it redoes only what is missing. With the daemon running (`make dev`), the
`refresh_downstream` sensor then brings the weeks after the days up to date.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from edx_assets.config import EdxConfig
from edx_assets.local.demo import REPOSITORY_LABEL, output_to

TAG = "edx/backfill"


@dataclass
class BackfillSummary:
    backfill_id: str
    days: list[str]
    seconds: float = 0.0
    events: int = 0  # documents of the days in Eventos, as the eventos materializations report them
    failed: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def partitions_between(first: date, last: date, config: EdxConfig, existing: list[str]) -> list[str]:
    """The job's partitions (`existing`: days, or Sundays for the weekly job) from `first` to `last`."""
    if last < first:
        raise ValueError(f"TO ({last}) is before FROM ({first})")
    if first < config.partitions_start:
        raise ValueError(f"FROM ({first}) is before the first partition, EDX_PARTITIONS_START "
                         f"({config.partitions_start}): set it earlier to load older days")
    chosen = [key for key in existing if first.isoformat() <= key <= last.isoformat()]
    if not chosen:
        raise ValueError(f"no partition of the job from {first} to {last} (a weekly job's partitions are "
                         "Sundays; days after today have none yet)")
    return chosen


def run_backfill(config: EdxConfig, first: date, last: date, *, job: str = "daily_events_job",
                 concurrency: int = 2, log_path: Path | None = None) -> BackfillSummary:
    """Backfill `job` over the days from `first` to `last`; the code server's and the runs' output goes to
    `log_path` (progress lines still reach the terminal)."""
    if log_path is None:
        return _run(config, first, last, job, concurrency, print)
    with output_to(log_path) as say:
        return _run(config, first, last, job, concurrency, say)


def _run(config: EdxConfig, first: date, last: date, job: str, concurrency: int,
         say: Callable[[str], None]) -> BackfillSummary:
    import dagster as dg

    from edx_assets.definitions import build_defs

    # The instance's storage is created (and its schema stamped) here, once, before the workers open it:
    # two workers creating a fresh DAGSTER_HOME's sqlite storage at once stamp its schema twice.
    with dg.DagsterInstance.get():
        pass
    partitions = build_defs(config).resolve_job_def(job).partitions_def
    days = partitions_between(first, last, config, list(partitions.get_partition_keys()))
    summary = BackfillSummary(uuid.uuid4().hex[:8], days)
    tags = {TAG: summary.backfill_id, "edx/launched_by": "make backfill", ".dagster/repository": REPOSITORY_LABEL}
    say(f"backfill {summary.backfill_id}: {job}, {len(days)} days from {days[0]} to {days[-1]}, "
        f"{concurrency} at a time (runs tagged {TAG}={summary.backfill_id})")
    started = time.perf_counter()
    # spawn: each worker imports the code location afresh (no state forked from this process)
    with ProcessPoolExecutor(max_workers=concurrency, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_run_day, config, job, day, tags) for day in days]
        for future in as_completed(futures):
            day, ok, run_id, events, seconds = future.result()
            summary.events += events
            summary.run_ids.append(run_id)
            if not ok:
                summary.failed.append(day)
            say(f"  {day}  {'ok' if ok else 'FAILED'}  {events:>10,} events  {seconds:6.1f} s  (run {run_id[:8]})")
    summary.seconds = time.perf_counter() - started
    summary.failed.sort()
    say(f"{len(days) - len(summary.failed)} of {len(days)} days loaded in {summary.seconds:.1f} s: "
        f"{summary.events:,} events, {summary.events_per_second:,.0f} events/s")
    if summary.failed:
        say(f"failed: {', '.join(summary.failed)} (the run's error is on its page in the UI, `make dev`); "
            "run the same backfill again to redo them")
    return summary


_DEFS: dict = {}


def _run_day(config: EdxConfig, job: str, day: str, tags: dict[str, str]) -> tuple[str, bool, str, int, float]:
    """One day's run, in a worker: (day, success, run id, Eventos documents of the day, seconds)."""
    import dagster as dg

    from edx_assets.definitions import build_defs

    if config not in _DEFS:  # once per worker
        _DEFS[config] = build_defs(config)
    started = time.perf_counter()
    result = _DEFS[config].resolve_job_def(job).execute_in_process(
        partition_key=day, instance=dg.DagsterInstance.get(), tags=tags, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    loaded = [e.materialization for e in result.get_asset_materialization_events()
              if e.asset_key == dg.AssetKey("eventos")]
    events = int(loaded[0].metadata["dagster/row_count"].value) if loaded else 0
    return day, result.success, result.run_id, events, time.perf_counter() - started
