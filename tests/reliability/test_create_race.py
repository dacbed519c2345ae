"""Create only what does not exist: an alarm someone else creates while an apply runs (after
the plan read, before the alarm's wave) is that resource's failure, not overwritten by
PutMetricAlarm / PutCompositeAlarm, which are upserts."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from faultproxy import FaultProxy, ProxiedRequest  # noqa: E402
from helpers import apply_ok, assert_converged  # noqa: E402

CONFIG = """
stack: racer
topics:
  oncall: {}
alarms:
  latency-high:
    metric: {namespace: ML/Serving, name: Latency, stat: Average, period: 60}
    when: "> 500"
    actions: {alarm: [topic:oncall]}
  errors-high:
    metric: {namespace: ML/Serving, name: Errors, stat: Sum, period: 60}
    when: "> 10"
composite_alarms:
  serving-degraded:
    rule: ALARM(latency-high) OR ALARM(errors-high)
"""


def on_first(operation: str, action):
    """A proxy rule running `action()` once, when the first `operation` request arrives (the
    apply's first topic create: after the plan's reads, before any alarm's wave)."""
    done = threading.Event()

    def rule(request: ProxiedRequest):
        if request.operation == operation and not done.is_set():
            done.set()
            action()
        return None
    return rule


def intruders(boto):
    cloudwatch = boto("cloudwatch")
    return {
        "alarms/errors-high": lambda: cloudwatch.put_metric_alarm(
            AlarmName="errors-high", Namespace="Theirs", MetricName="Errors", Statistic="Sum",
            Period=300, EvaluationPeriods=1, Threshold=1.0,
            ComparisonOperator="GreaterThanThreshold"),
        "composite_alarms/serving-degraded": lambda: cloudwatch.put_composite_alarm(
            AlarmName="serving-degraded", AlarmRule="FALSE"),
    }


@pytest.mark.parametrize("address", ["alarms/errors-high", "composite_alarms/serving-degraded"])
def test_an_alarm_created_during_the_apply_is_not_overwritten(aws, boto, obsctl, write_config,
                                                             address):
    path = write_config(CONFIG)
    with FaultProxy(aws.endpoint_url, fault_rate=0,
                    rules=[on_first("CreateTopic", intruders(boto)[address])]) as proxy:
        applied = obsctl("apply", path, "--auto-approve", "--endpoint-url", proxy.endpoint_url)
    assert applied.exit_code == 1, applied.stdout + applied.stderr
    failed = [line for line in applied.stderr.splitlines() if line.startswith("!")]
    assert failed == [f"! {address}: create failed: created in AWS by someone else since the "
                      "plan read it; not overwritten (plan again: it is a conflict unless it "
                      "carries this stack's tag)"], applied.stderr
    assert "Apply complete: 3 created, 0 updated, 0 deleted, 1 failed." in applied.stdout
    name = address.split("/")[1]
    found = boto("cloudwatch").describe_alarms(AlarmNames=[name],
                                               AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    (theirs,) = found["MetricAlarms"] + found["CompositeAlarms"]
    assert theirs.get("Namespace", "Theirs") == "Theirs"  # untouched
    assert theirs.get("AlarmRule", "FALSE") == "FALSE"
    plan = obsctl("plan", path)
    assert plan.exit_code == 1 and f"{address} cannot be managed" in plan.stdout


def test_the_recheck_costs_one_describe_per_hundred_creates(aws, obsctl, write_config):
    alarms = "\n".join(f"  a{i:03d}:\n    metric: {{namespace: N, name: M, stat: Sum, period: 60}}\n"
                       f"    when: '> {i}'" for i in range(150))
    path = write_config("stack: many\nalarms:\n" + alarms + "\n")
    applied = apply_ok(obsctl, path)
    assert applied.calls["cloudwatch.DescribeAlarms"] == 1 + 2  # the (empty) listing + 2 re-reads
    assert_converged(obsctl, path)
