"""`plan/apply --changed-since GIT_REF` and `obsctl stacks`: a real git repository in tmp_path,
real commits, and the plans against the emulator."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.helpers import apply_ok, plan_json

STACK_A = """
stack: alpha
region: us-east-1
topics:
  alpha-oncall: {}
"""
STACK_B = """
stack: beta
region: eu-west-1
role_arn: arn:aws:iam::123456789012:role/obsctl
topics:
  beta-oncall: {}
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(tmp_path):
    """A git repository with monitoring/alpha (us-east-1) and monitoring/beta (eu-west-1),
    committed on main."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "ci@example.com")
    git(root, "config", "user.name", "ci")
    write(root, "monitoring/alpha/stack.yaml", STACK_A)
    write(root, "monitoring/beta/stack.yaml", STACK_B)
    commit(root, "two stacks")
    return root


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def regions(stderr: str) -> dict[str, int]:
    line = next((l for l in stderr.splitlines() if l.startswith("api calls by region: ")), "")
    return {r: int(n) for r, n in re.findall(r"([a-z0-9-]+) (\d+)", line.split(": ", 1)[-1])}


def test_a_change_to_one_stack_plans_only_that_stack_and_reads_only_its_region(obsctl, repo):
    monitoring = str(repo / "monitoring")
    everything = obsctl("plan", monitoring)
    assert everything.exit_code == 0, everything.stderr
    assert set(regions(everything.stderr)) == {"us-east-1", "eu-west-1"}  # the control
    write(repo, "monitoring/beta/stack.yaml", STACK_B + "  beta-pager: {}\n")
    commit(repo, "beta gets a pager topic")

    result = obsctl("plan", monitoring, "--changed-since", "HEAD~1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [s["stack"] for s in doc["stacks"]] == ["beta"]
    assert {c["name"] for c in doc["changes"]} == {"beta-oncall", "beta-pager"}
    assert set(regions(result.stderr)) == {"eu-west-1"}
    assert "changed since HEAD~1: 1 stack(s): beta" in result.stderr


def test_uncommitted_and_untracked_changes_count(obsctl, repo):
    monitoring = str(repo / "monitoring")
    assert "0 stack(s): none" in obsctl("plan", monitoring, "--changed-since", "HEAD").stderr
    write(repo, "monitoring/alpha/more.yaml", "stack: alpha\ntopics:\n  alpha-extra: {}\n")
    doc = plan_json(obsctl, monitoring, "--changed-since", "HEAD")
    assert [s["stack"] for s in doc["stacks"]] == ["alpha"]


def test_a_deleted_file_selects_its_stack_so_prune_removes_its_resources(obsctl, repo):
    monitoring = str(repo / "monitoring")
    write(repo, "monitoring/alpha/extra.yaml", "stack: alpha\ntopics:\n  alpha-extra: {}\n")
    commit(repo, "alpha extra")
    apply_ok(obsctl, monitoring)
    (repo / "monitoring/alpha/extra.yaml").unlink()
    commit(repo, "drop alpha extra")

    doc = plan_json(obsctl, monitoring, "--changed-since", "HEAD~1", "--prune")
    assert [s["stack"] for s in doc["stacks"]] == ["alpha"]
    assert [(c["name"], c["action"]) for c in doc["changes"]] == [("alpha-extra", "delete")]


def test_a_file_moved_to_another_stack_plans_both(obsctl, repo):
    write(repo, "monitoring/beta/more.yaml", "stack: beta\ntopics:\n  beta-more: {}\n")
    commit(repo, "beta more")
    write(repo, "monitoring/beta/more.yaml", "stack: alpha\ntopics:\n  beta-more: {}\n")
    doc = plan_json(obsctl, str(repo / "monitoring"), "--changed-since", "HEAD")
    assert sorted(s["stack"] for s in doc["stacks"]) == ["alpha", "beta"]


def test_one_stacks_files_never_make_another_stack_look_empty(obsctl, repo):
    """A matrix job is given one stack's files. A file that moved into that stack from beta
    must not make beta, whose other files the job was not given, look like a stack with no
    file left (with --prune: everything beta owns deleted)."""
    monitoring = str(repo / "monitoring")
    write(repo, "monitoring/beta/more.yaml", "stack: beta\ntopics:\n  beta-more: {}\n")
    commit(repo, "beta more")
    apply_ok(obsctl, monitoring)
    write(repo, "monitoring/beta/more.yaml", "stack: alpha\ntopics:\n  beta-more: {}\n")
    matrix = obsctl("stacks", monitoring, "--format", "github-matrix", "--changed-since", "HEAD")
    jobs = {j["stack"]: shlex.split(j["paths"]) for j in json.loads(matrix.stdout)["include"]}
    assert set(jobs) == {"alpha", "beta"}

    alpha = plan_json(obsctl, *jobs["alpha"], "--changed-since", "HEAD", "--prune")
    assert [s["stack"] for s in alpha["stacks"]] == ["alpha"]
    assert [(c["name"], c["action"]) for c in alpha["changes"]] == [("beta-more", "create")]
    beta = plan_json(obsctl, *jobs["beta"], "--changed-since", "HEAD", "--prune")
    assert [(c["name"], c["action"]) for c in beta["changes"]] == [("beta-more", "delete")]


def test_a_stack_with_no_file_left_is_planned_empty_under_the_mass_delete_guard(obsctl, repo,
                                                                               boto):
    monitoring = str(repo / "monitoring")
    write(repo, "monitoring/alpha/more.yaml",
          "stack: alpha\ntopics:\n" + "".join(f"  alpha-t{i}: {{}}\n" for i in range(3)))
    commit(repo, "alpha grows")
    apply_ok(obsctl, monitoring)
    git(repo, "rm", "-q", "-r", "monitoring/alpha")
    commit(repo, "alpha retired")

    stacks = obsctl("stacks", monitoring, "--format", "json", "--changed-since", "HEAD~1")
    assert stacks.exit_code == 0, stacks.stderr
    [entry] = json.loads(stacks.stdout)["stacks"]
    assert entry["stack"] == "alpha" and entry["region"] == "us-east-1" and entry["files"] == []
    assert sorted(Path(f).name for f in entry["deleted_files"]) == ["more.yaml", "stack.yaml"]

    refused = obsctl("plan", monitoring, "--changed-since", "HEAD~1", "--prune")
    assert refused.exit_code == 1 and "--allow-mass-delete" in refused.stderr
    without_prune = plan_json(obsctl, monitoring, "--changed-since", "HEAD~1")
    assert without_prune["changes"] == []

    gone = obsctl("plan", str(repo / "monitoring/alpha"), "--changed-since", "HEAD~1",
                  "--format", "json")  # the stack's directory, deleted with it
    assert [s["stack"] for s in json.loads(gone.stdout)["stacks"]] == ["alpha"], gone.stderr
    assert obsctl("plan", str(repo / "monitoring/alpha")).exit_code == 1  # the control

    # The matrix entry's paths (the former files) plan the same empty stack in its own job.
    [job] = json.loads(obsctl("stacks", monitoring, "--format", "github-matrix",
                              "--changed-since", "HEAD~1").stdout)["include"]
    applied = obsctl("apply", *shlex.split(job["paths"]), "--changed-since", "HEAD~1", "--prune",
                     "--allow-mass-delete", "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    assert "4 deleted" in applied.stdout
    assert boto("sns").list_topics()["Topics"] == []  # alpha's region, us-east-1
    assert [t["TopicArn"].rsplit(":", 1)[1]
            for t in boto("sns", "eu-west-1").list_topics()["Topics"]] == ["beta-oncall"]


def test_not_a_git_repository_and_unknown_ref_are_one_line_errors(obsctl, tmp_path, repo):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "stack.yaml").write_text(STACK_A)
    for args, says in [((str(plain), "--changed-since", "main"), "needs a git repository"),
                       ((str(repo / "monitoring"), "--changed-since", "no-such-branch"),
                        "unknown git ref 'no-such-branch'"),
                       ((str(repo / "monitoring"), "--changed-since", "--output=x"),
                        "is not a git ref")]:
        for command in ("plan", "apply", "stacks"):
            result = obsctl(command, *args)
            assert result.exit_code == 1, (command, result.stderr)
            assert says in result.stderr and len(result.stderr.splitlines()) <= 2, result.stderr
            assert result.calls == {} and "Traceback" not in result.stderr


def test_a_saved_plan_carries_its_selection_flags(obsctl, repo, tmp_path):
    out = str(tmp_path / "plan.json")
    write(repo, "monitoring/beta/stack.yaml", STACK_B + "  beta-pager: {}\n")
    planned = obsctl("plan", str(repo / "monitoring"), "--changed-since", "HEAD", "--out", out)
    assert planned.exit_code == 0, planned.stderr
    refused = obsctl("apply", out, "--changed-since", "HEAD")
    assert refused.exit_code == 1 and "selection flags" in refused.stderr
    applied = obsctl("apply", out)
    assert applied.exit_code == 0, applied.stderr
    assert "Apply complete: 2 created" in applied.stdout  # beta only: alpha was not planned


def test_without_git_installed_it_says_so(obsctl, repo, monkeypatch):
    monkeypatch.setenv("PATH", str(repo))  # no git on it
    result = obsctl("plan", str(repo / "monitoring"), "--changed-since", "HEAD")
    assert result.exit_code == 1 and "needs git, and it is not installed" in result.stderr
