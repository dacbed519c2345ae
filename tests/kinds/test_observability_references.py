"""A link's `sink: {stack, name}` through the CLI against the emulator: a sink another stack
of the run declares, whose ARN (a random ID, as in AWS) is read at plan, or at apply when the
same apply creates the sink."""

from __future__ import annotations

import json
import subprocess

from tests.helpers import apply_ok, assert_converged, change, plan_json
from tests.kinds.test_observability import (SINK_REF, SINK_STACK, SOURCE, client_in, link_stack,
                                            sink_arn, write_both)


def test_a_reference_to_a_stack_outside_the_run_is_refused_in_one_line(obsctl, write_config):
    write_config(SINK_STACK, name="run/monitoring.yaml")
    source = write_config(link_stack(SINK_REF), name="run/source.yaml")
    for command in (("plan", source), ("apply", source, "--auto-approve")):
        result = obsctl(*command)  # only the source stack: the monitoring stack is left out
        assert result.exit_code == 1 and result.writes == 0, result.calls
        output = (result.stdout + result.stderr).strip().splitlines()
        [refusal] = [line for line in output if not line.startswith("api calls:")]
        assert refusal == (
            f"error: observability_links.to-central.sink ({source}:6:5) names observability_sinks "
            "'central' of stack 'monitoring', which is not in this run: include that stack's "
            "files in the run, or write the value itself (a sink's ARN); nothing was changed")
        assert not result.calls, result.calls  # refused before any AWS call


def test_a_reference_to_a_sink_the_stack_does_not_declare_is_a_validation_error(obsctl, write_config):
    write_config(SINK_STACK, name="run/monitoring.yaml")
    source = write_config(link_stack("{stack: monitoring, name: centrl}"), name="run/source.yaml")
    result = obsctl("apply", source.rsplit("/", 1)[0], "--auto-approve")
    assert result.exit_code == 1 and result.writes == 0 and not result.calls
    assert (f"{source}:6:5: error: observability_links.to-central.sink: stack 'monitoring' "
            "declares no observability_sinks 'centrl' (did you mean 'central'?)") in result.stderr


def test_a_saved_plan_with_a_pending_reference_applies_the_link_to_the_new_sink(
        aws, obsctl, write_config, boto, tmp_path):
    run = write_both(write_config, SINK_REF)
    planfile = str(tmp_path / "plan.json")
    assert obsctl("plan", run, "--out", planfile).exit_code == 0
    saved = json.loads(open(planfile).read())
    assert change(saved, "observability_links/to-central")["after"]["sink"].startswith(
        "(known after apply")

    applied = obsctl("apply", planfile)
    assert applied.exit_code == 0, applied.stderr
    assert "Apply complete: 2 created" in applied.stdout
    assert_converged(obsctl, run)
    [link] = client_in(aws, SOURCE, "oam").list_links()["Items"]
    assert link["SinkArn"] == sink_arn(boto)
    [attached] = boto("oam").list_attached_links(SinkIdentifier=sink_arn(boto))["Items"]
    assert attached["LinkArn"] == link["Arn"]


def test_a_reference_resolves_to_the_live_sink_so_a_label_change_diffs_only_the_label(
        obsctl, write_config, boto):
    run = write_both(write_config, SINK_REF)
    apply_ok(obsctl, run)
    write_config(link_stack(SINK_REF, label="ml-$AccountName"), name="run/source.yaml")
    doc = plan_json(obsctl, run)
    to_central = change(doc, "observability_links/to-central")
    assert to_central["before"]["sink"] == to_central["after"]["sink"] == sink_arn(boto)
    apply_ok(obsctl, run)
    assert_converged(obsctl, run)


def test_changed_since_selecting_only_the_source_stack_is_refused_in_one_line(obsctl, tmp_path):
    """A CI job planning what changed: only the link's stack changed, so the sink's stack is
    not in the run; the refusal says to include it or write the ARN."""
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "ci@example.com")
    git("config", "user.name", "ci")
    (repo / "monitoring.yaml").write_text(SINK_STACK)
    (repo / "source.yaml").write_text(link_stack(SINK_REF))
    git("add", "-A")
    git("commit", "-q", "-m", "both stacks")
    (repo / "source.yaml").write_text(link_stack(SINK_REF, label="ml-$AccountName"))

    result = obsctl("plan", str(repo), "--changed-since", "HEAD")
    assert result.exit_code == 1 and not result.calls, result.calls
    assert "changed since HEAD: 1 stack(s): source" in result.stderr
    assert ("names observability_sinks 'central' of stack 'monitoring', which is not in this "
            "run: include that stack's files in the run, or write the value itself") in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
