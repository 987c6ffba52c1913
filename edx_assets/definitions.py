"""The edx_assets code location: the lineage folders' definitions, merged, with one global policy.

Every module under `edx_assets/defs/<lineage>/` that has a `build(ctx)` function contributes its
definitions: adding an asset means adding a module, not editing a list. Nothing here reads the
environment at import time: `defs()` builds the configuration when Dagster loads the code location.
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from collections.abc import Iterator

import dagster as dg

from edx_assets.config import EdxConfig
from edx_assets.defs import versions
from edx_assets.defs.common import CADENCE_TAG, Build
from edx_assets.defs.operations import refresh
from edx_assets.defs.resources import build_resources

# The lineage folders, upstream first.
LINEAGES = ("events", "courses", "reports", "operations")


def lineage_definitions(ctx: Build) -> Iterator[dg.Definitions]:
    for lineage in LINEAGES:
        package = importlib.import_module(f"edx_assets.defs.{lineage}")
        for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{package.__name__}.{module_info.name}")
            build = getattr(module, "build", None)
            if callable(build):
                yield _versioned(build(ctx), versions.code_version(module.__name__))


def _versioned(defs: dg.Definitions, version: str) -> dg.Definitions:
    """The module's assets with the digest of the code that computes them as their code_version."""
    def replace(spec: dg.AssetSpec) -> dg.AssetSpec:
        return spec.replace_attributes(code_version=version) if spec.code_version == versions.VERSIONED else spec

    if not defs.assets:
        return defs
    return defs.map_asset_specs(func=replace)


def _cadence(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Tag each asset with its cadence (from its partitions): the daily and weekly jobs select by it."""
    partitions = spec.partitions_def
    if isinstance(partitions, dg.DailyPartitionsDefinition):
        return spec.merge_attributes(tags={CADENCE_TAG: "daily"})
    if isinstance(partitions, dg.WeeklyPartitionsDefinition):
        return spec.merge_attributes(tags={CADENCE_TAG: "weekly"})
    return spec


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
    """Every asset, check, job, schedule and sensor of the lineage folders, with the global policy."""
    with warnings.catch_warnings():
        # Partitioned checks, map_asset_specs and partition mappings over missing days are "preview" or
        # "beta" in Dagster 1.13: used knowingly, not news on every load.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        warnings.simplefilter("ignore", dg.BetaWarning)
        merged = dg.Definitions.merge(*lineage_definitions(Build.of(config)))
        return merged.map_asset_specs(func=_cadence).map_asset_specs(func=_refreshed)


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
