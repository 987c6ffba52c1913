"""The component that loads a lineage folder of `edx_assets/defs/` (events, courses, reports, operations).

Dagster's defs-folder loading (`dg.load_from_defs_folder`, what `dg list defs` and `dg check defs` run) finds
a `defs.yaml` naming this component in each lineage folder. The component hands every module of the folder
the code location's one configuration (`build(ctx)`: partitions, freshness and resources depend on it) and
loads whatever Dagster definitions a module holds at module level, so an asset written by
`dg scaffold defs dagster.asset reports/<name>.py` is loaded like any other.

The configuration is built once by `edx_assets.definitions` and handed in for the duration of the load
(`building`); nothing here reads the environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import dagster as dg

from edx_assets.config import EdxConfig
from edx_assets.defs import versions
from edx_assets.defs.common import Build

_BUILD: ContextVar[Build | None] = ContextVar("edx_assets_build", default=None)


@contextmanager
def building(config: EdxConfig) -> Iterator[Build]:
    """Hand `config` to the lineage components loaded inside the block."""
    ctx = Build.of(config)
    token = _BUILD.set(ctx)
    try:
        yield ctx
    finally:
        _BUILD.reset(token)


def current_build() -> Build:
    ctx = _BUILD.get()
    if ctx is None:
        raise RuntimeError("the lineage folders are loaded through edx_assets.definitions (it builds the "
                           "configuration once and hands it in); load that module, not the defs folder alone")
    return ctx


def modules_in(folder: Path) -> list[Path]:
    """The Python modules of a lineage folder, in name order."""
    return [path for path in sorted(folder.glob("*.py")) if path.name != "__init__.py"]


def module_definitions(module, ctx: Build) -> dg.Definitions:
    """A module's definitions: its `build(ctx)` (versioned by the code that computes its assets), else the
    Dagster objects it holds at module level."""
    build = getattr(module, "build", None)
    if callable(build):
        return versioned(build(ctx), versions.code_version(module.__name__))
    return dg.load_definitions_from_module(module)


def versioned(defs: dg.Definitions, version: str) -> dg.Definitions:
    """The module's assets with the digest of the code that computes them as their code_version."""
    def replace(spec: dg.AssetSpec) -> dg.AssetSpec:
        return spec.replace_attributes(code_version=version) if spec.code_version == versions.VERSIONED else spec

    return defs.map_asset_specs(func=replace) if defs.assets else defs


class Lineage(dg.Component, dg.Model, dg.Resolvable):
    """A lineage folder: every module's definitions, built with the code location's configuration."""

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        ctx = current_build()
        parts = [module_definitions(context.load_defs_relative_python_module(path), ctx)
                 for path in modules_in(context.path)]
        return dg.Definitions.merge(*parts)
