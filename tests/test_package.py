"""The package's shape: every module imports on its own, and no two modules import each other
at module level (a cycle works or not depending on which module is imported first)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import reconciler

PACKAGE_DIR = Path(reconciler.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_imports_in_a_fresh_interpreter(module):
    result = subprocess.run([sys.executable, "-c", f"import {module}"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _top_level_imports(tree: ast.Module):
    """Import statements that run when the module is imported: at top level, or in a
    top-level if/try (not under `if TYPE_CHECKING:`, which never runs)."""
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            pending += node.orelse if _is_type_checking(node.test) else node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                pending += handler.body


def _imported(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The modules of the package that `node` in `module` imports: for `from A import B`,
    A.B when it is a module, else A."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in MODULES}
    base = node.module or ""
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    found = {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES}
    if len(found) < len(node.names) and base in MODULES:
        found.add(base)
    return found


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        graph[module] = {target for node in _top_level_imports(tree)
                         for target in _imported(module, node) if target != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` as [a, b, ..., a], or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return path[path.index(module):] + [module]
        if module in done:
            return None
        for target in sorted(graph.get(module, ())):
            cycle = visit(target, path + [module])
            if cycle:
                return cycle
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module, [])
        if cycle:
            return cycle
    return None


def test_no_module_level_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_graph_sees_the_imports_that_make_a_cycle():
    # The control: the CLI imports its commands, which import the CLI's common module...
    graph = import_graph()
    assert "reconciler.cli.common" in graph["reconciler.cli.plan"]
    assert "reconciler.cli.plan" in graph["reconciler.cli"]
    assert "reconciler.emulator.server" in graph["reconciler.emulator"]  # `from .server import`
    assert "reconciler.config.stack" not in graph["reconciler.aws"]  # under TYPE_CHECKING
    # ...and a command importing the package back would be the cycle this test exists for.
    graph["reconciler.cli.common"] = graph["reconciler.cli.common"] | {"reconciler.cli"}
    assert find_cycle(graph)[0:2] == ["reconciler.cli", "reconciler.cli.apply"]


def _every_import(path: Path) -> set[str]:
    """Every absolute module name `path` imports, at any depth (functions, TYPE_CHECKING)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


# Renderers are pure functions of the plan document: nothing that plans, reads AWS or parses
# flags (config and kinds have their own layering tests beside them).
RENDER_MAY_NOT_IMPORT = ("reconciler.engine", "reconciler.kinds", "reconciler.aws",
                         "reconciler.cli", "reconciler.saved_plan", "reconciler.drift",
                         "boto3", "botocore")
RENDERERS = [m for m in MODULES if m.startswith("reconciler.render")] + ["reconciler.plan_document"]


@pytest.mark.parametrize("module", RENDERERS)
def test_renderers_import_nothing_that_plans_or_reads_aws(module):
    forbidden = [name for name in _every_import(MODULES[module])
                 if any(name == f or name.startswith(f + ".") for f in RENDER_MAY_NOT_IMPORT)]
    assert forbidden == []


def test_the_import_check_sees_nested_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from reconciler.engine import plan_all\n")
    assert "reconciler.engine.plan_all" in _every_import(sample)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_500_lines(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= 500, f"{module}: {lines} lines; split it along its sections"


def test_saved_plans_build_the_document_without_a_renderer():
    imports = _every_import(MODULES["reconciler.saved_plan"])
    assert "reconciler.plan_document" in imports
    assert not [name for name in imports if name.startswith("reconciler.render")]


# Planning and applying know nothing about how plans are shown: only the CLI picks a renderer.
PLANNING = ["reconciler.engine", "reconciler.apply", "reconciler.plan", "reconciler.saved_plan",
            "reconciler.drift", "reconciler.importer", "reconciler.status",
            "reconciler.fire_alarm", "reconciler.changes", "reconciler.export_logs"]


@pytest.mark.parametrize("module", PLANNING)
def test_planning_imports_no_renderer(module):
    assert not [name for name in _every_import(MODULES[module])
                if name.startswith("reconciler.render")]
