"""The CI integration files users copy: well-formed, and they run the commands that exist."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from ruamel.yaml import YAML

from reconciler.cli import main

ROOT = Path(__file__).parents[2]
yaml = YAML(typ="safe")


def test_pre_commit_hook_definition_runs_obsctl_validate():
    hooks = yaml.load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list) and len(hooks) == 1
    hook = hooks[0]
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["entry"] == "obsctl validate"
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    assert "validate" in main.commands
    user_config = yaml.load((ROOT / "examples/ci/.pre-commit-config.yaml").read_text())
    assert user_config["repos"][0]["hooks"][0]["id"] == hook["id"]


def test_workflow_plans_on_pull_requests_and_applies_on_main():
    workflow = yaml.load((ROOT / "examples/ci/.github/workflows/obsctl.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1: `on` is a bool
    assert set(triggers) == {"pull_request", "push"}
    assert workflow["concurrency"]["group"].startswith("obsctl-")
    plan_steps = " ".join(s.get("run", "") for s in workflow["jobs"]["plan"]["steps"])
    apply_steps = " ".join(s.get("run", "") for s in workflow["jobs"]["apply"]["steps"])
    assert "obsctl plan monitoring/ --format markdown --detailed-exitcode" in plan_steps
    assert "obsctl apply monitoring/ --auto-approve" in apply_steps
    for flag in ("--format", "--detailed-exitcode", "--out"):
        assert flag in {o for p in main.commands["plan"].params for o in p.opts}


def test_every_example_starts_with_the_schema_modeline_and_matches_the_schema():
    schema = json.loads((ROOT / "schemas/obsctl.schema.json").read_text())
    examples = sorted(p for p in (ROOT / "examples").rglob("*.yaml") if not p.name.startswith("."))
    assert examples
    for path in examples:
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("$schema=", 1)[1]).resolve()
        assert target == (ROOT / "schemas/obsctl.schema.json").resolve(), path
        jsonschema.validate(yaml.load(path.read_text()), schema)
