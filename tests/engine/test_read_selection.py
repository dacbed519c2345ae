"""Which kinds a plan reads: without --prune, only the kinds the stack declares or generates."""

from __future__ import annotations

CONFIG = """
stack: test
alarms:
  latency:
    metric: {namespace: ML, name: Latency, stat: p90, period: 60}
    when: "> 500"
"""


def services(calls) -> set[str]:
    return {operation.split(".")[0] for operation in calls}


def test_a_plan_reads_only_the_kinds_the_stack_declares(obsctl, write_config):
    plan = obsctl("plan", write_config(CONFIG))
    assert plan.exit_code == 0, plan.stderr
    assert plan.calls["cloudwatch.DescribeAlarms"] == 1
    assert services(plan.calls) == {"cloudwatch", "resourcegroupstaggingapi", "sts"}


def test_prune_reads_every_kind_the_stack_may_own(obsctl, write_config):
    plan = obsctl("plan", write_config(CONFIG), "--prune")
    assert plan.exit_code == 0, plan.stderr
    for operation in ("logs.DescribeLogGroups", "sns.ListTopics", "events.ListRules",
                      "sagemaker.ListMonitoringSchedules",
                      "application-autoscaling.DescribeScalingPolicies"):
        assert plan.calls[operation] >= 1, operation


def test_generated_kinds_are_read_when_a_generator_is_declared(obsctl, write_config):
    path = write_config("""
        stack: test
        endpoint_monitors:
          prod:
            endpoints: [prod-churn]
            latency_p90_ms: 500
        """)
    plan = obsctl("plan", path)
    assert plan.exit_code == 0, plan.stderr
    assert plan.calls["cloudwatch.DescribeAlarms"] == 1  # what the preset generates is read
    assert plan.calls["events.ListRules"] == 0
