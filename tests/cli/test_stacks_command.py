"""`obsctl stacks`: the stacks under PATH with region, account and files, for CI fan-out; no
AWS call."""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest

from reconciler.cli.stacks import MAX_MATRIX_JOBS, shell_words
from reconciler.diagnostics import ObsctlError


def test_text_json_and_matrix_name_region_account_and_files(obsctl, tmp_path):
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod/stack.yaml").write_text(
        "stack: ml-prod\nregion: eu-west-1\n"
        "role_arn: arn:aws:iam::111111111111:role/obsctl\ntopics: {t: {}}\n")
    (tmp_path / "prod/alarms.yaml").write_text("stack: ml-prod\n")
    (tmp_path / "dev.yaml").write_text("stack: ml-dev\n")

    text = obsctl("stacks", str(tmp_path))
    assert text.exit_code == 0 and text.calls == {}, text.stderr
    assert "ml-prod  region eu-west-1  account 111111111111" in text.stdout
    assert "ml-dev  region from the AWS environment  account unknown" in text.stdout

    listed = json.loads(obsctl("stacks", str(tmp_path), "--format", "json").stdout)
    assert listed["format_version"] == 1
    by_name = {s["stack"]: s for s in listed["stacks"]}
    assert by_name["ml-dev"] == {"stack": "ml-dev", "region": None, "account": None,
                                 "files": [str(tmp_path / "dev.yaml")], "deleted_files": []}
    assert sorted(by_name["ml-prod"]["files"]) == [str(tmp_path / "prod/alarms.yaml"),
                                                   str(tmp_path / "prod/stack.yaml")]

    matrix = obsctl("stacks", str(tmp_path), "--format", "github-matrix")
    assert matrix.stdout.count("\n") == 1  # one line, for $GITHUB_OUTPUT
    jobs = {j["stack"]: j for j in json.loads(matrix.stdout)["include"]}
    assert jobs["ml-prod"]["region"] == "eu-west-1" and jobs["ml-prod"]["account"] == "111111111111"
    assert shlex.split(jobs["ml-prod"]["paths"]) == by_name["ml-prod"]["files"]


def test_matrix_paths_survive_a_shell_and_plan_exactly_that_stack(obsctl, tmp_path):
    """What a workflow does with `obsctl plan ${{ matrix.paths }}`: paste into a bash line."""
    odd = tmp_path / "-team $(touch pwned) 'q' `x`;"
    odd.mkdir()
    (odd / "a b.yaml").write_text("stack: odd\ntopics: {odd-t: {}}\n")
    (tmp_path / "other.yaml").write_text("stack: other\ntopics: {other-t: {}}\n")
    [job] = [j for j in json.loads(obsctl("stacks", str(tmp_path), "--format",
                                          "github-matrix").stdout)["include"]
             if j["stack"] == "odd"]
    line = f"printf '%s\\n' {job['paths']}"
    echoed = subprocess.run(["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True,
                            check=True).stdout
    assert echoed == f"{odd / 'a b.yaml'}\n" and not (tmp_path / "pwned").exists()
    planned = obsctl("plan", *shlex.split(job["paths"]), "--format", "json")
    assert [s["stack"] for s in json.loads(planned.stdout)["stacks"]] == ["odd"]


def test_relative_paths_that_look_like_options_are_made_harmless():
    assert shell_words(["-rf.yaml", "a/b.yaml", "it's.yaml"]) == \
        "./-rf.yaml a/b.yaml 'it'\"'\"'s.yaml'"


@pytest.mark.parametrize("name", ["a\nb.yaml", "a\rb.yaml", "a\x1b[2Jb.yaml", "a\udcffb.yaml"])
def test_names_a_shell_line_cannot_carry_are_refused(name):
    with pytest.raises(ObsctlError, match="cannot carry; rename it"):
        shell_words([name])


def test_a_line_break_in_a_file_name_is_refused_with_one_line(obsctl, tmp_path):
    (tmp_path / "bad\nname.yaml").write_text("stack: s\n")
    result = obsctl("stacks", str(tmp_path), "--format", "github-matrix")
    assert result.exit_code == 1 and result.stdout == ""
    assert "bad\\nname.yaml" in result.stderr and "rename it" in result.stderr
    assert obsctl("stacks", str(tmp_path), "--format", "json").exit_code == 0  # JSON escapes it


def test_more_stacks_than_a_matrix_can_hold_is_refused(obsctl, tmp_path):
    for i in range(MAX_MATRIX_JOBS + 1):
        (tmp_path / f"s{i}.yaml").write_text(f"stack: s{i}\n")
    result = obsctl("stacks", str(tmp_path), "--format", "github-matrix")
    assert result.exit_code == 1 and "257 stacks are more than the 256 jobs" in result.stderr
    assert obsctl("stacks", str(tmp_path), "--format", "json").exit_code == 0


def test_bad_config_is_the_usual_error(obsctl, tmp_path):
    (tmp_path / "s.yaml").write_text("stack: s\ntopicz: {}\n")
    result = obsctl("stacks", str(tmp_path))
    assert result.exit_code == 1 and "s.yaml:2:1" in result.stderr
