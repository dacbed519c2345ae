"""The CI integration files users copy: well-formed, and they run the commands that exist."""

from __future__ import annotations

import json
import re
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
    plan_steps = " ".join(s.get("run", "") for s in workflow["jobs"]["plan"]["steps"])
    apply_steps = " ".join(s.get("run", "") for s in workflow["jobs"]["apply"]["steps"])
    assert "obsctl plan monitoring/ --format markdown --detailed-exitcode" in plan_steps
    assert "obsctl apply monitoring/${{ matrix.stack }} --auto-approve" in apply_steps
    for flag in ("--format", "--detailed-exitcode", "--out"):
        assert flag in {o for p in main.commands["plan"].params for o in p.opts}


def test_workflow_installs_obsctl_from_a_pinned_commit_not_pypi():
    workflow = yaml.load((ROOT / "examples/ci/.github/workflows/obsctl.yml").read_text())
    assert re.fullmatch(r"obsctl @ git\+https://github\.com/[\w.-]+/obsctl@[0-9a-f]{40}",
                        workflow["env"]["OBSCTL"])
    for job in workflow["jobs"].values():
        installs = [s["run"] for s in job["steps"] if "pip install" in s.get("run", "")]
        assert installs == ['pip install "$OBSCTL"']


def test_the_plan_comment_is_posted_even_when_the_plan_fails_and_updated_in_place():
    plan = yaml.load((ROOT / "examples/ci/.github/workflows/obsctl.yml").read_text())["jobs"]["plan"]
    names = [step.get("name") for step in plan["steps"]]
    comment = plan["steps"][names.index("Post or update the plan comment")]
    assert comment["if"] == "always()"
    script = comment["with"]["script"]
    assert "updateComment" in script and "createComment" in script and "obsctl-plan" in script
    fail = plan["steps"][names.index("Fail on a plan error")]
    assert names.index("Fail on a plan error") > names.index("Post or update the plan comment")
    assert fail["if"] == "steps.plan.outputs.exitcode == '1'"


def test_applies_are_serialized_per_stack_and_never_cancelled():
    apply = yaml.load((ROOT / "examples/ci/.github/workflows/obsctl.yml").read_text())["jobs"]["apply"]
    assert apply["concurrency"] == {"group": "obsctl-apply-${{ matrix.stack }}",
                                   "cancel-in-progress": False}
    assert apply["strategy"]["matrix"]["stack"]


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
