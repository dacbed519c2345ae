"""Kinds stand below the engine: no module under reconciler/kinds imports the CLI, the engine,
the renderers, or what drives kinds (import, drift attribution, saved plans). Read from each
module's AST, imports inside functions and TYPE_CHECKING blocks included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reconciler.kinds

KINDS_DIR = Path(reconciler.kinds.__file__).parent
FORBIDDEN = ("reconciler.cli", "reconciler.engine", "reconciler.render", "reconciler.importer",
             "reconciler.drift", "reconciler.saved_plan")
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(KINDS_DIR.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module `source` (the code of `module`) imports, relative imports resolved;
    `from X import name` counts as X and as X.name (which may be a module)."""
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def forbidden_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    return sorted(name for name in imported_modules(source, module, is_package)
                  if any(name == f or name.startswith(f + ".") for f in FORBIDDEN))


KIND_MODULES = sorted(KINDS_DIR.rglob("*.py"))


@pytest.mark.parametrize("path", KIND_MODULES, ids=lambda p: str(p.relative_to(KINDS_DIR)))
def test_kind_modules_import_nothing_from_the_cli_engine_or_renderers(path):
    source = path.read_text()
    assert forbidden_imports(source, module_name(path), path.name == "__init__.py") == []


@pytest.mark.parametrize("path", KIND_MODULES, ids=lambda p: str(p.relative_to(KINDS_DIR)))
def test_kind_modules_stay_short(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_the_check_finds_every_form_of_a_forbidden_import():
    source = """
import reconciler.engine
from reconciler import cli
from reconciler.render.text import render
from ...importer import import_kind
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from reconciler.drift import explain
def later():
    from reconciler.saved_plan import load
from reconciler.plan import Change
from .common import present
"""
    assert forbidden_imports(source, "reconciler.kinds.alarms.kind") == [
        "reconciler.cli", "reconciler.drift", "reconciler.drift.explain", "reconciler.engine",
        "reconciler.importer", "reconciler.importer.import_kind", "reconciler.render.text",
        "reconciler.render.text.render", "reconciler.saved_plan", "reconciler.saved_plan.load"]


def test_every_kind_module_is_checked():
    names = {module_name(path) for path in KIND_MODULES}
    assert {"reconciler.kinds.base", "reconciler.kinds.alarms.kind",
            "reconciler.kinds.model_monitors.images"} <= names
