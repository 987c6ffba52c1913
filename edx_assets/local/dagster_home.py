"""The instance configuration written into the local DAGSTER_HOME (sqlite storage, run queue, pools)."""

DAGSTER_YAML = """\
# Written by `edx-assets local up`. Storage defaults to sqlite files under this DAGSTER_HOME;
# runs go through the queued run coordinator (the default) with the limits below.
concurrency:
  runs:
    max_concurrent_runs: 4
    tag_concurrency_limits:
      # A backfill of N partitions runs at most 2 of them at a time.
      - key: "dagster/backfill"
        limit: 2
  pools:
    # Unconfigured pools (the `mongodb` pool that MongoDB-heavy steps claim) allow 2 steps at once.
    default_limit: 2
run_coordinator:
  # The queue is looked at every second (Dagster's default is 5 s): a local run starts as soon as it may.
  module: dagster
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
telemetry:
  enabled: false
"""
