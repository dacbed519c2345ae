"""obsctl under failure: transient faults and throttling between it and AWS, one resource that
keeps failing, and an apply killed half-way. After each, apply converges: the emulator holds
exactly what the config declares and a plan against it is empty (SPEC §4)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from faultproxy import FaultProxy, deny  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def stack_yaml(topics: int, log_groups: int, alarms: int, *, stack: str = "rel",
               extra_alarms: str = "") -> str:
    """A generated stack: topics with a subscription, log groups with retention (two calls to
    create), one-metric alarms notifying the topics, round-robin."""
    lines = [f"stack: {stack}", "region: us-east-1", "tags: {team: ml-platform}",
             "defaults:", "  alarm: {treat_missing_data: notBreaching}", "topics:"]
    lines += [f"  oncall-{i}: {{subscriptions: [{{protocol: email, endpoint: oncall{i}@example.com}}]}}"
              for i in range(topics)]
    lines.append("log_groups:")
    lines += [f"  /rel/endpoints/model-{i}: {{retention_days: {(30, 90, 365)[i % 3]}}}"
              for i in range(log_groups)]
    lines.append("alarms:")
    lines += [f"  model-{i}-latency-p90:\n"
              f"    metric: {{namespace: AWS/SageMaker, name: ModelLatency, stat: p90, period: 60,\n"
              f"             dimensions: {{EndpointName: model-{i}, VariantName: AllTraffic}}}}\n"
              f"    when: '> {500 + i}'\n"
              f"    evaluation_periods: 3\n"
              f"    actions: {{alarm: [topic:oncall-{i % topics}]}}"
              for i in range(alarms)]
    return "\n".join(lines) + "\n" + extra_alarms


def live_counts(boto) -> tuple[int, int, int]:
    """(metric alarms, log groups, topics) in the emulator, read directly."""
    alarms = sum(len(page["MetricAlarms"]) for page in
                 boto("cloudwatch").get_paginator("describe_alarms").paginate())
    groups = sum(len(page["logGroups"]) for page in
                 boto("logs").get_paginator("describe_log_groups").paginate())
    topics = sum(len(page["Topics"]) for page in
                 boto("sns").get_paginator("list_topics").paginate())
    return alarms, groups, topics


def apply_until_converged(obsctl, path: str, endpoint_url: str, attempts: int = 3):
    """`obsctl apply` until it exits 0 (a rerun converges); the results of every run."""
    results = []
    for _ in range(attempts):
        results.append(obsctl("apply", path, "--auto-approve", "--endpoint-url", endpoint_url))
        if results[-1].exit_code == 0:
            break
    return results


def assert_converged(obsctl, boto, path: str, expected: tuple[int, int, int]) -> None:
    plan = obsctl("plan", path, "--detailed-exitcode")  # AWS_ENDPOINT_URL: the emulator itself
    assert plan.exit_code == 0, plan.stdout[-2000:] + plan.stderr[-2000:]
    assert live_counts(boto) == expected  # nothing lost, nothing duplicated


def test_apply_converges_under_transient_faults(aws, boto, obsctl, write_config):
    """500 resources; 30% of requests answered 500, 503 or a reset connection."""
    path = write_config(stack_yaml(topics=10, log_groups=190, alarms=300))
    with FaultProxy(aws.endpoint_url, fault_rate=0.3, kinds=("500", "503", "reset"),
                    latency=(0, 0.005), seed=11) as proxy:
        results = apply_until_converged(obsctl, path, proxy.endpoint_url)
    assert results[-1].exit_code == 0, results[-1].stderr[-3000:]
    injected = proxy.snapshot()["injected"]
    assert sum(injected.values()) > 200, injected
    assert "Apply complete: 500 created" in results[0].stdout or len(results) > 1
    assert_converged(obsctl, boto, path, (300, 190, 10))


def test_apply_converges_under_throttling(aws, boto, obsctl, write_config):
    """30% faults including HTTP 400 Throttling. Small stack: obsctl's clients use botocore's
    adaptive retry mode, whose client-side rate limiter slows every later request of that
    client after a throttle (about 5 requests/s here), so this one is slow per resource."""
    path = write_config(stack_yaml(topics=2, log_groups=10, alarms=18))
    with FaultProxy(aws.endpoint_url, fault_rate=0.3, kinds=("throttle", "500", "reset"),
                    latency=(0, 0.005), seed=5) as proxy:
        results = apply_until_converged(obsctl, path, proxy.endpoint_url)
    assert results[-1].exit_code == 0, results[-1].stderr[-3000:]
    assert proxy.snapshot()["injected"].get("throttle", 0) > 0
    assert_converged(obsctl, boto, path, (18, 10, 2))


def test_lost_responses_converge_on_rerun(aws, boto, obsctl, write_config):
    """A response lost after AWS executed the request: the retry of a create that succeeded is
    answered "already exists". Such a resource may be reported failed; a rerun converges."""
    path = write_config(stack_yaml(topics=2, log_groups=60, alarms=40))
    with FaultProxy(aws.endpoint_url, fault_rate=0.1, kinds=("lost",), latency=(0, 0),
                    faults_for_writes_only=True, seed=3) as proxy:
        results = apply_until_converged(obsctl, path, proxy.endpoint_url)
    assert proxy.snapshot()["injected"].get("lost", 0) > 0
    assert results[-1].exit_code == 0, results[-1].stderr[-3000:]
    for result in results[:-1]:  # a failed run names what failed, with AWS's message
        assert "ResourceAlreadyExistsException" in result.stderr, result.stderr[-3000:]
    assert_converged(obsctl, boto, path, (40, 60, 2))


def test_one_failing_resource_is_reported_and_the_others_applied(aws, boto, obsctl, write_config):
    """An IAM policy that does not cover one alarm's ARN: PutMetricAlarm answers 403
    AccessDenied for it every time (not retried). The rest of the stack is applied, apply
    exits 1 naming the resource and AWS's message; once the policy is fixed a rerun converges."""
    denied = "payments-denied-latency"
    extra = (f"  {denied}:\n"
             "    metric: {namespace: AWS/SageMaker, name: ModelLatency, stat: Average, period: 60}\n"
             "    when: '> 1000'\n")
    path = write_config(stack_yaml(topics=2, log_groups=20, alarms=30, extra_alarms=extra))
    with FaultProxy(aws.endpoint_url, fault_rate=0.1, kinds=("500", "reset"), latency=(0, 0),
                    rules=[deny("PutMetricAlarm", denied)], seed=8) as proxy:
        first = obsctl("apply", path, "--auto-approve", "--endpoint-url", proxy.endpoint_url)
    assert first.exit_code == 1
    assert proxy.snapshot()["injected"].get("deny") == 1  # a 403 is not retried
    failed = [line for line in first.stderr.splitlines() if line.startswith("!")]
    assert len(failed) == 1, first.stderr[-3000:]
    assert f"alarms/{denied}" in failed[0]
    assert "AccessDenied" in failed[0]
    assert "not authorized to perform: cloudwatch:PutMetricAlarm" in failed[0]
    assert "52 created" in first.stdout and "1 failed" in first.stdout, first.stdout[-500:]
    assert live_counts(boto) == (30, 20, 2)

    plan = obsctl("plan", path, "--detailed-exitcode")
    assert plan.exit_code == 2
    assert f"alarms/{denied}" in plan.stdout or denied in plan.stdout

    fixed = obsctl("apply", path, "--auto-approve")  # policy fixed: straight to the emulator
    assert fixed.exit_code == 0, fixed.stderr[-3000:]
    assert "1 created" in fixed.stdout
    assert_converged(obsctl, boto, path, (31, 20, 2))


@pytest.mark.parametrize("seed", [1, 2])
def test_apply_killed_with_sigkill_converges_on_rerun(aws, boto, obsctl, write_config, seed):
    """`obsctl apply` of 300 resources killed with SIGKILL at a random moment of its writes:
    no cleanup runs, requests may be in flight. The rerun applies the rest; the plan is empty.

    The moment is drawn (seeded) as a number of reported outcomes plus a short delay, so the
    kill lands during the writes whatever the machine's speed (start-up and reading take a few
    seconds that vary with load). At least 150 of the 300 writes are still to come when the
    kill is sent: few enough left and a fast machine finishes them within the delay."""
    path = write_config(stack_yaml(topics=5, log_groups=120, alarms=175))
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
    command = [sys.executable, "-m", "reconciler", "apply", path, "--auto-approve",
               "--endpoint-url", aws.endpoint_url]
    draw = random.Random(seed)
    kill_after, extra_delay = draw.randrange(1, 150), draw.uniform(0, 0.05)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL, env=env)
    outcomes = 0
    try:
        for line in process.stdout:
            if line.rstrip().endswith(b": created"):
                outcomes += 1
                if outcomes == kill_after:
                    break
        time.sleep(extra_delay)
        was_running = process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    assert was_running and process.returncode == -signal.SIGKILL
    partial = live_counts(boto)
    assert partial != (175, 120, 5)  # killed half-way
    rerun = obsctl("apply", path, "--auto-approve")
    assert rerun.exit_code == 0, rerun.stderr[-3000:]
    assert rerun.writes > 0
    assert_converged(obsctl, boto, path, (175, 120, 5))
