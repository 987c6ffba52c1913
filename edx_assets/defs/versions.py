"""Each asset's `code_version`: a digest of the source that computes it, so the UI marks an asset stale
(and says why) when its computation changes, without anyone remembering to bump a number.

The source is the asset's own module (edx_assets/defs/<lineage>/<asset>.py) and every domain module
(`edx_assets.edx...`) it imports, directly or through other domain modules, read from the files (no import).
Wiring shared by every asset (resources, decorators, partitions) is left out: a change there computes nothing.
The unit is the module: a change anywhere in a module marks every asset that imports it, the safe side
(an asset may be marked stale by a change it does not use, never left fresh by one it does).
"""

from __future__ import annotations

import ast
import hashlib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the folder holding the `edx_assets` package
DOMAIN = "edx_assets.edx"
VERSIONED = "computed"  # the decorators' placeholder, replaced by `code_version` when definitions load


def module_file(module: str, root: Path = ROOT) -> Path | None:
    """The file of a module under `root` (a package's __init__.py), or None when it is not one."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _statements(body: list[ast.stmt]):
    """Every statement, nested ones included (imports are statements: expressions need no walk)."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _statements(inner)


@cache  # every asset's walk meets the same modules: each file is parsed once per process
def _imported(module: str, root: Path) -> frozenset[str]:
    """Domain modules the module's source imports (`import a.b`, `from a import b`, relative imports)."""
    path = module_file(module, root)
    if path is None:
        return frozenset()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _statements(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {n for n in names if (n == DOMAIN or n.startswith(DOMAIN + ".")) and module_file(n, root)}
    return frozenset(found)


def computed_by(module: str, root: Path = ROOT) -> list[str]:
    """The asset module and every domain module it reaches through imports, sorted."""
    seen, todo = {module}, [module]
    while todo:
        for name in _imported(todo.pop(), root) - seen:
            seen.add(name)
            todo.append(name)
    return sorted(seen)


@cache
def code_version(module: str, root: Path = ROOT) -> str:
    """12 hex digits of the sha256 of `computed_by(module)`'s names and sources."""
    digest = hashlib.sha256()
    for name in computed_by(module, root):
        digest.update(name.encode() + b"\0" + module_file(name, root).read_bytes() + b"\0")
    return digest.hexdigest()[:12]
