"""The fan-out and drift workflows users copy (examples/ci/.github/workflows/obsctl-matrix.yml,
obsctl-drift.yml): well-formed, every obsctl command and flag in them exists, and the matrix
workflow's own shell steps, run by bash in a real git repository against the emulator, plan
exactly the stacks a pull request touches."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler.cli import main

ROOT = Path(__file__).parents[2]
WORKFLOWS = ROOT / "examples/ci/.github/workflows"
yaml = YAML(typ="safe")


def load(name: str) -> dict:
    return yaml.load((WORKFLOWS / name).read_text())


def triggers(workflow: dict) -> dict:
    return workflow[True] if True in workflow else workflow["on"]  # YAML 1.1: `on` is a bool


def step(job: dict, name: str) -> dict:
    return next(s for s in job["steps"] if s.get("name") == name)


def obsctl_commands(workflow: dict) -> list[list[str]]:
    """Every `obsctl ...` command line of every run step, as words (expressions as EXPR)."""
    commands = []
    for job in workflow["jobs"].values():
        for one in job["steps"]:
            script = re.sub(r"\$\{\{.*?\}\}", "EXPR", one.get("run", ""))
            for match in re.finditer(r"\bobsctl ([^\n|>)]*)", script):
                commands.append(shlex.split(match.group(1), comments=True))
    return commands


@pytest.mark.parametrize("name", ["obsctl-matrix.yml", "obsctl-drift.yml"])
def test_every_obsctl_command_and_flag_in_the_workflow_exists(name):
    commands = obsctl_commands(load(name))
    assert commands
    for words in commands:
        command = main.commands[words[0]]
        known = {o for p in command.params for o in p.opts} | {"--stats"}
        for word in words[1:]:
            if word.startswith("-"):
                assert word.split("=")[0] in known, (name, words)


@pytest.mark.parametrize("name", ["obsctl-matrix.yml", "obsctl-drift.yml"])
def test_installs_obsctl_from_a_pinned_commit_not_pypi(name):
    workflow = load(name)
    assert re.fullmatch(r"obsctl @ git\+https://github\.com/[\w.-]+/obsctl@[0-9a-f]{40}",
                        workflow["env"]["OBSCTL"])
    for job in workflow["jobs"].values():
        installs = [s["run"] for s in job["steps"] if "pip install" in s.get("run", "")]
        assert installs == ['pip install "$OBSCTL"']


def test_matrix_workflow_fans_out_the_changed_stacks_to_plan_and_apply_jobs():
    workflow = load("obsctl-matrix.yml")
    assert set(triggers(workflow)) == {"pull_request", "push"}
    jobs = workflow["jobs"]
    stacks = step(jobs["stacks"], "Changed stacks")["run"]
    assert ("obsctl stacks monitoring/ --format github-matrix --changed-since origin/main"
            in stacks)
    assert jobs["stacks"]["steps"][0]["with"]["fetch-depth"] == 0  # the base commit is needed
    for name in ("plan", "apply"):
        assert jobs[name]["needs"] == "stacks"
        assert jobs[name]["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.matrix) }}"
        assert "needs.stacks.outputs.count != '0'" in jobs[name]["if"]  # an empty matrix fails
    plan = step(jobs["plan"], "obsctl plan")["run"]
    assert "obsctl plan ${{ matrix.paths }} --changed-since \"$BASE\"" in plan
    assert "--format markdown --detailed-exitcode" in plan
    apply = step(jobs["apply"], "obsctl apply")["run"]
    assert "obsctl apply ${{ matrix.paths }}" in apply and "--auto-approve" in apply
    assert jobs["apply"]["concurrency"] == {"group": "obsctl-apply-${{ matrix.stack }}",
                                            "cancel-in-progress": False}


def test_each_stack_gets_its_own_plan_comment_updated_in_place():
    plan = load("obsctl-matrix.yml")["jobs"]["plan"]
    comment = step(plan, "Post or update the plan comment")
    assert comment["if"] == "always()" and comment["env"]["STACK"] == "${{ matrix.stack }}"
    script = comment["with"]["script"]
    assert "<!-- obsctl-plan:${process.env.STACK} -->" in script
    assert "updateComment" in script and "createComment" in script
    names = [s.get("name") for s in plan["steps"]]
    assert names.index("Fail on a plan error") > names.index("Post or update the plan comment")
    assert step(plan, "Fail on a plan error")["if"] == "steps.plan.outputs.exitcode == '1'"


def test_drift_workflow_runs_nightly_and_opens_or_updates_one_issue():
    workflow = load("obsctl-drift.yml")
    assert set(triggers(workflow)) == {"schedule", "workflow_dispatch"}
    assert workflow["permissions"]["issues"] == "write"
    job = workflow["jobs"]["drift"]
    run = step(job, "obsctl plan (drift check)")["run"]
    assert ("obsctl plan monitoring/ --detailed-exitcode --explain-drift --format markdown"
            in run)
    report = step(job, "Open or update the drift issue")
    assert report["uses"].startswith("actions/github-script@")
    assert report["if"] == "always() && steps.plan.outputs.exitcode != '0'"
    script = report["with"]["script"]
    assert "<!-- obsctl-drift -->" in script
    assert "issues.create(" in script and "issues.update(" in script
    close = step(job, "Close the drift issue after a clean night")
    assert close["if"] == "steps.plan.outputs.exitcode == '0'"
    assert "'closed'" in close["with"]["script"]


# --- the matrix workflow's shell steps, run for real ---------------------------------------

def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def run_step(script: str, repo: Path, tmp_path: Path, **env: str) -> dict[str, str]:
    """A run step as the runner does it (bash -e, GITHUB_OUTPUT); returns its outputs."""
    output = tmp_path / "github_output"
    output.write_text("")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=repo,
                   check=True, env={**os.environ, "PATH": path, "GITHUB_OUTPUT": str(output),
                                    **env})
    return dict(line.split("=", 1) for line in output.read_text().splitlines())


def test_the_pull_request_path_plans_one_job_per_touched_stack(aws, tmp_path):
    repo = tmp_path / "repo"
    for name, region in (("alpha", "us-east-1"), ("beta", "eu-west-1"), ("gamma", "eu-west-2")):
        (repo / "monitoring" / name).mkdir(parents=True)
        (repo / "monitoring" / name / "stack.yaml").write_text(
            f"stack: {name}\nregion: {region}\ntopics:\n  {name}-oncall: {{}}\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=ci", "-c", "user.email=ci@example.com", "add", "-A")
    git(repo, "-c", "user.name=ci", "-c", "user.email=ci@example.com", "commit", "-qm", "main")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    applied = subprocess.run([Path(sys.executable).parent / "obsctl", "apply", "monitoring/",
                              "--auto-approve"], cwd=repo, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    # The pull request: beta gets a topic, gamma is retired.
    with open(repo / "monitoring/beta/stack.yaml", "a") as file:
        file.write("  beta-pager: {}\n")
    git(repo, "rm", "-q", "-r", "monitoring/gamma")

    jobs = load("obsctl-matrix.yml")["jobs"]
    outputs = run_step(step(jobs["stacks"], "Changed stacks")["run"], repo, tmp_path,
                       GITHUB_EVENT_NAME="pull_request", BEFORE="")
    assert outputs["count"] == "2" and outputs["base"] == "origin/main"
    matrix = json.loads(outputs["matrix"])["include"]
    assert [(j["stack"], j["region"]) for j in matrix] == [("beta", "eu-west-1"),
                                                           ("gamma", "eu-west-2")]

    plan = step(jobs["plan"], "obsctl plan")["run"]
    exit_codes, comments = {}, {}
    for job in matrix:
        script = plan.replace("${{ matrix.paths }}", job["paths"])
        ran = run_step(script, repo, tmp_path, BASE=outputs["base"])
        exit_codes[job["stack"]] = ran["exitcode"]
        comments[job["stack"]] = (repo / "plan.md").read_text()
    assert exit_codes == {"beta": "2", "gamma": "1"}
    assert "beta-pager" in comments["beta"] and "alpha" not in comments["beta"]
    assert "--allow-mass-delete" in comments["gamma"]  # retiring a stack takes a person
