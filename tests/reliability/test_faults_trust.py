"""Failures that are not transient: answers cut short (which botocore does not retry), each one
that resource's failure or the plan's one-line refusal, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from faultproxy import FaultProxy, truncated  # noqa: E402
from helpers import apply_ok, assert_converged  # noqa: E402
from reliability.test_faults import live_counts, stack_yaml  # noqa: E402


def error_lines(stderr: str) -> list[str]:
    """stderr without the --stats block and progress."""
    lines = []
    for line in stderr.splitlines():
        if line.startswith("api calls:"):
            break
        if line.strip():
            lines.append(line)
    return lines


@pytest.mark.parametrize("operation", ["DescribeAlarms", "ListTopics", "DescribeLogGroups"])
def test_a_truncated_read_fails_the_plan_with_one_line(aws, obsctl, write_config, operation):
    """CloudWatch and Logs speak JSON, SNS XML: botocore raises ResponseParserError for cut
    XML but reads cut JSON as an empty answer ("no alarms"), which would plan creates over
    existing alarms. Both refuse the plan with one line naming the operation."""
    path = write_config(stack_yaml(topics=2, log_groups=3, alarms=3))
    apply_ok(obsctl, path)
    with FaultProxy(aws.endpoint_url, fault_rate=0, rules=[truncated(operation)]) as proxy:
        plan = obsctl("plan", path, "--endpoint-url", proxy.endpoint_url)
    assert proxy.snapshot()["injected"] == {"truncate": 1}  # not retried
    assert plan.exit_code == 1
    lines = error_lines(plan.stderr)
    assert len(lines) == 1, plan.stderr
    assert lines[0].startswith(f"error: AWS {operation}: unreadable response"), lines[0]
    assert plan.stdout == ""


def test_truncated_write_answers_fail_only_their_resources(aws, boto, obsctl, write_config):
    """10 % of the writes answered with their body cut in half (after AWS executed them): each
    is that resource's failure, one line; the rest is applied, the summary prints, exit 1; a
    rerun converges."""
    path = write_config(stack_yaml(topics=6, log_groups=30, alarms=60))
    with FaultProxy(aws.endpoint_url, fault_rate=0.1, kinds=("truncate",), latency=(0, 0),
                    faults_for_writes_only=True, seed=4) as proxy:
        first = obsctl("apply", path, "--auto-approve", "--endpoint-url", proxy.endpoint_url)
    assert proxy.snapshot()["injected"].get("truncate", 0) > 0
    assert first.exit_code == 1, first.stdout[-2000:] + first.stderr[-2000:]
    failed = [line for line in error_lines(first.stderr) if line.startswith("!")]
    assert failed and all("unreadable response" in line for line in failed), first.stderr[-3000:]
    assert f"{len(failed)} failed." in first.stdout
    assert "Apply complete:" in first.stdout
    rerun = obsctl("apply", path, "--auto-approve")
    assert rerun.exit_code == 0, rerun.stderr[-3000:]
    assert_converged(obsctl, path)
    assert live_counts(boto) == (60, 30, 6)


def test_ten_percent_truncated_answers_never_give_a_traceback(aws, boto, obsctl, write_config):
    """Every request (reads too) at 10 %: each run exits 0 or 1 with one-line errors (a cut
    read refuses the plan, a cut write fails its resource); without faults, a rerun converges
    and nothing is duplicated."""
    path = write_config(stack_yaml(topics=3, log_groups=10, alarms=20))
    with FaultProxy(aws.endpoint_url, fault_rate=0.1, kinds=("truncate",), latency=(0, 0),
                    seed=7) as proxy:
        runs = [obsctl("apply", path, "--auto-approve", "--endpoint-url", proxy.endpoint_url)
                for _ in range(3)]
    assert proxy.snapshot()["injected"].get("truncate", 0) > 0
    for run in runs:
        assert run.exit_code in (0, 1)
        for line in error_lines(run.stderr):
            assert line.startswith(("error: AWS ", "! ")), run.stderr[-3000:]
    apply_ok(obsctl, path)
    assert_converged(obsctl, path)
    assert live_counts(boto) == (20, 10, 3)
