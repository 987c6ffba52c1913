"""Dagster assets by lineage stage; each is thin and calls the domain code in `edx_assets.edx`."""

import warnings

import dagster as dg

# Deliberate uses of features the pinned Dagster marks preview/beta: per-partition asset checks, and
# a week's reports depending on the previous week of events, which may start before the first day.
warnings.filterwarnings("ignore", category=dg.PreviewWarning, message=".*partitions_def on an AssetCheckSpec.*")
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*allow_nonexistent_upstream_partitions.*")
