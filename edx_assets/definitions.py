"""The edx_assets code location: Dagster's defs-folder loading over `edx_assets/defs/`, with one global policy.

Each lineage folder (events, courses, reports, operations) holds a `defs.yaml` naming the `Lineage`
component (edx_assets/components.py): every module's `build(ctx)` is called with the one configuration, and
module-level definitions (what `dg scaffold defs` writes) are loaded as Dagster loads them anywhere. Adding an
asset means adding a module, not editing a list. Nothing here reads the environment at import time: `defs()`
builds the configuration when Dagster loads the code location.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from edx_assets.components import building, module_definitions, modules_in
from edx_assets.config import EdxConfig
from edx_assets.defs.common import CADENCE_TAG, OWNERS, Build
from edx_assets.defs.operations import refresh
from edx_assets.defs.resources import build_resources

HERE = Path(__file__).resolve().parent
# The lineage folders, upstream first (each has a defs.yaml naming the Lineage component).
LINEAGES = ("events", "courses", "reports", "operations")


def lineage_definitions(ctx: Build) -> Iterator[dg.Definitions]:
    """Each module's definitions, module by module, as the Lineage component loads them (what tests pick
    single assets from)."""
    for lineage in LINEAGES:
        for path in modules_in(HERE / "defs" / lineage):
            yield module_definitions(importlib.import_module(f"edx_assets.defs.{lineage}.{path.stem}"), ctx)


def _cadence(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Tag each asset with its cadence (from its partitions): the daily and weekly jobs select by it."""
    partitions = spec.partitions_def
    if isinstance(partitions, dg.DailyPartitionsDefinition):
        return spec.merge_attributes(tags={CADENCE_TAG: "daily"})
    if isinstance(partitions, dg.WeeklyPartitionsDefinition):
        return spec.merge_attributes(tags={CADENCE_TAG: "weekly"})
    return spec


def _owned(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Every asset has an owner: the data platform team unless its module names one."""
    return spec if spec.owners else spec.replace_attributes(owners=OWNERS)


def _refreshed(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The derived assets keep up with late and re-delivered inputs (defs/operations/refresh.py)."""
    condition = refresh.condition_for(spec)
    return spec if condition is None else spec.replace_attributes(automation_condition=condition)


def build_executor(config: EdxConfig) -> dg.ExecutorDefinition:
    """Steps run in subprocesses on one machine (a run may ask for in-process execution in its run
    config, as the demo does); EDX_EXECUTOR=in_process runs every step of a run in the run's process (no
    process start-up per step: small deliveries, tests); EDX_EXECUTOR=k8s gives each step its own
    Kubernetes Job."""
    if config.executor == "k8s":
        from dagster_k8s import k8s_job_executor  # the `deploy` extra

        return k8s_job_executor
    if config.executor == "in_process":
        return dg.in_process_executor
    return dg.multi_or_in_process_executor


def lineage_defs(config: EdxConfig) -> dg.Definitions:
    """Every asset, check, job, schedule and sensor of the defs folder, with the global policy (owners,
    cadence tags, the refresh condition of derived assets) applied once."""
    with warnings.catch_warnings():
        # Partitioned checks, map_asset_specs and partition mappings over missing days are "preview" or
        # "beta" in Dagster 1.13: used knowingly, not news on every load.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        warnings.simplefilter("ignore", dg.BetaWarning)
        with building(config):
            loaded = dg.load_from_defs_folder(path_within_project=HERE)
        return loaded.map_asset_specs(func=_owned).map_asset_specs(func=_cadence).map_asset_specs(func=_refreshed)


def build_defs(config: EdxConfig) -> dg.Definitions:
    """The code location: the lineage definitions with their resources and executor."""
    return dg.Definitions.merge(
        lineage_defs(config),
        dg.Definitions(resources=build_resources(config), executor=build_executor(config)),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What Dagster loads (`dg`, `dagster`, the webserver): the configuration the environment describes."""
    return build_defs(EdxConfig.from_env())
