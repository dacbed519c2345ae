"""config is the layer below the kinds: it gets the kind registry passed in and imports
nothing from the kinds, the engine, the CLI or the renderers (not even for type hints)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reconciler.config

CONFIG = Path(reconciler.config.__file__).parent
MODULES = sorted(CONFIG.rglob("*.py"))
ABOVE = ("reconciler.kinds", "reconciler.engine", "reconciler.cli", "reconciler.render")


def imported(path: Path) -> list[str]:
    """Every module `path` imports, at any depth (function bodies, TYPE_CHECKING blocks)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def above(name: str) -> bool:
    return any(name == layer or name.startswith(layer + ".") for layer in ABOVE)


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_config_module_imports_nothing_above_it(path):
    assert [name for name in imported(path) if above(name)] == []


def test_the_check_sees_imports_wherever_they_are(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from reconciler.kinds.base import Kind\n"
                      "def f():\n    import reconciler.engine\n"
                      "from reconciler import cli\n")
    assert sorted(name for name in imported(sample) if above(name)) == [
        "reconciler.cli", "reconciler.engine", "reconciler.kinds.base",
        "reconciler.kinds.base.Kind"]
