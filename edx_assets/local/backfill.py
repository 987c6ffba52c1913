"""`make backfill FROM=… TO=…`: a range of days through a Dagster backfill, a few runs at a time.

The backfill is recorded as Dagster records it (`dagster job backfill`): a backfill entry on the UI's
Backfills page and one run per day tagged with it. Its runs are launched here, at most `concurrency` at
once (2 by default: on a 2-core machine each day's load already keeps a parse process and mongod busy),
rather than through the run queue, so no daemon is needed and none of the daemon's schedules or sensors
starts other runs meanwhile. Days already loaded from the same file are left as they are (the loads are
idempotent), so a backfill can be run again after a failure: it redoes only what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from edx_assets.config import EdxConfig
from edx_assets.local.demo import LOCATION, RUN_CONFIG, WORKSPACE, output_to

POLL_SECONDS = 0.5


@dataclass
class BackfillSummary:
    backfill_id: str
    days: list[str]
    seconds: float = 0.0
    events: int = 0  # documents of the days in Eventos, as the eventos materializations report them
    failed: list[str] = field(default_factory=list)

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
    from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
    from dagster._core.execution.job_backfill import create_backfill_run
    from dagster._core.utils import make_new_backfill_id
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster._time import get_current_timestamp

    instance = dg.DagsterInstance.get()
    with WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(WORKSPACE)])) as process:
        workspace = process.create_request_context()
        location = workspace.get_code_location(LOCATION)
        [repo] = location.get_repositories().values()
        remote_job = repo.get_full_job(job)
        partition_set = next(p for p in repo.get_partition_sets() if p.job_name == job)
        existing = workspace.get_partition_names(repository_selector=repo.selector, job_name=job, instance=instance,
                                                 selected_asset_keys=None).partition_names
        days = partitions_between(first, last, config, list(existing))
        backfill = PartitionBackfill(
            backfill_id=make_new_backfill_id(), partition_set_origin=partition_set.get_remote_origin(),
            # COMPLETED is a job backfill whose runs are all requested: the daemon leaves it to us
            status=BulkActionStatus.COMPLETED, partition_names=days, from_failure=False, reexecution_steps=None,
            tags={"edx/launched_by": "make backfill"}, backfill_timestamp=get_current_timestamp(),
        )
        instance.add_backfill(backfill)
        summary = BackfillSummary(backfill.backfill_id, days)
        params = location.get_partition_set_execution_params(
            repository_handle=repo.handle, partition_set_name=partition_set.name, partition_names=days,
            instance=instance)
        say(f"backfill {backfill.backfill_id}: {job}, {len(days)} days from {days[0]} to {days[-1]}, "
            f"{concurrency} at a time")
        started = time.perf_counter()
        waiting = list(params.partition_data)
        running: dict[str, tuple[str, float]] = {}  # run id -> (day, started)
        while waiting or running:
            while waiting and len(running) < concurrency:
                data = waiting.pop(0)
                run = create_backfill_run(workspace, instance, location, remote_job, partition_set, backfill,
                                          data.name, data.tags, {**data.run_config, **RUN_CONFIG})
                instance.launch_run(run.run_id, workspace)
                running[run.run_id] = (data.name, time.perf_counter())
            time.sleep(POLL_SECONDS)
            for run_id, (day, since) in list(running.items()):
                run = instance.get_run_by_id(run_id)
                if run is None or not run.is_finished:
                    continue
                del running[run_id]
                ok = run.status == dg.DagsterRunStatus.SUCCESS
                events = _events_loaded(instance, run_id)
                summary.events += events
                if not ok:
                    summary.failed.append(day)
                say(f"  {day}  {'ok' if ok else 'FAILED'}  {events:>10,} events  "
                    f"{time.perf_counter() - since:6.1f} s  (run {run_id[:8]})")
        summary.seconds = time.perf_counter() - started
        instance.update_backfill(backfill.with_end_timestamp(get_current_timestamp()))
    say(f"{len(days) - len(summary.failed)} of {len(days)} days loaded in {summary.seconds:.1f} s: "
        f"{summary.events:,} events, {summary.events_per_second:,.0f} events/s")
    if summary.failed:
        say(f"failed: {', '.join(summary.failed)} (the run's error is on its page in the UI, `make dev`); "
            "run the same backfill again to redo them")
    return summary


def _events_loaded(instance, run_id: str) -> int:
    """`Eventos` documents of the run's day, from its eventos materialization (0 if it did not get there)."""
    import dagster as dg

    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        materialization = record.asset_materialization
        if materialization and materialization.asset_key == dg.AssetKey("eventos"):
            return int(materialization.metadata["dagster/row_count"].value)
    return 0
