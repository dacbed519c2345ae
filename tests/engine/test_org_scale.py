"""Many stacks in one run (README "Many stacks"): stacks that work in the same account and
region share one read of each listing, each stack's plan is what it is when planned alone,
and stacks in different account-regions apply side by side."""

from __future__ import annotations

import json
import threading

import boto3

from tests.faultproxy import FaultProxy

OTHER_ACCOUNT_ROLE = "arn:aws:iam::222222222222:role/obsctl"


def stack_yaml(name: str, region: str, alarms: int = 3, role: str | None = None) -> str:
    role_line = f"role_arn: {role}\n" if role else ""
    body = "".join(
        f"  {name}-alarm-{i}:\n"
        f"    metric: {{namespace: App, name: Errors{i}, stat: Sum, period: 60}}\n"
        f"    when: '> {i + 1}'\n" for i in range(alarms))
    return (f"stack: {name}\nregion: {region}\n{role_line}alarms:\n{body}"
            f"log_groups:\n  /app/{name}: {{retention_days: 30}}\n")


# 6 stacks in us-east-1, 3 in eu-west-1, 2 in us-east-1 of another account (assumed role):
# three account-regions.
LAYOUT = ([(f"east{i}", "us-east-1", None) for i in range(6)]
          + [(f"west{i}", "eu-west-1", None) for i in range(3)]
          + [(f"other{i}", "us-east-1", OTHER_ACCOUNT_ROLE) for i in range(2)])


def write_stacks(tmp_path, layout=LAYOUT, alarms: int = 3) -> dict[str, str]:
    """One directory per stack under tmp_path/org; returns stack -> its directory."""
    paths = {}
    for name, region, role in layout:
        directory = tmp_path / "org" / name
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "stack.yaml").write_text(stack_yaml(name, region, alarms, role))
        paths[name] = str(directory)
    return paths


def stack_changes(document: dict, stack: str) -> list[dict]:
    return [c for c in document["changes"] if c["stack"] == stack]


def plan_document(obsctl, path: str) -> tuple[dict, object]:
    result = obsctl("plan", path, "--format", "json")
    assert result.exit_code in (0, 2), result.stdout + result.stderr
    return json.loads(result.stdout), result


def test_stacks_of_one_account_region_share_each_listing(obsctl, tmp_path):
    write_stacks(tmp_path)
    org = str(tmp_path / "org")
    assert obsctl("apply", org, "--auto-approve").exit_code == 0

    document, result = plan_document(obsctl, org)
    assert document["changes"] == []
    # Three account-regions (us-east-1, eu-west-1, us-east-1 of 222222222222): one page of
    # each listing per account-region, not one per stack (11 stacks).
    assert result.calls["cloudwatch.DescribeAlarms"] == 3, result.calls
    assert result.calls["logs.DescribeLogGroups"] == 3, result.calls
    assert result.calls["resourcegroupstaggingapi.GetResources"] == 6, result.calls  # alarms, logs
    assert result.calls["sts.GetCallerIdentity"] <= 3, result.calls  # one per credentials


def test_each_stacks_plan_is_the_one_it_has_alone(obsctl, boto, tmp_path):
    paths = write_stacks(tmp_path)
    org = str(tmp_path / "org")
    assert obsctl("apply", org, "--auto-approve").exit_code == 0
    # Drift and leftovers to plan: a threshold changed out of band, an alarm dropped from
    # the config (owned, undeclared), one stack's new alarm.
    cloudwatch = boto("cloudwatch")
    alarm = cloudwatch.describe_alarms(AlarmNames=["east1-alarm-0"])["MetricAlarms"][0]
    cloudwatch.put_metric_alarm(
        AlarmName="east1-alarm-0", Namespace="App", MetricName="Errors0", Statistic="Sum",
        Period=60, EvaluationPeriods=alarm["EvaluationPeriods"], Threshold=99,
        ComparisonOperator=alarm["ComparisonOperator"])
    (tmp_path / "org" / "east2" / "stack.yaml").write_text(stack_yaml("east2", "us-east-1", 2))
    (tmp_path / "org" / "west0" / "stack.yaml").write_text(stack_yaml("west0", "eu-west-1", 4))

    together, _ = plan_document(obsctl, org)
    assert together["changes"], "the drift and the new alarm are planned"
    for name, path in paths.items():
        alone, _ = plan_document(obsctl, path)
        assert stack_changes(together, name) == stack_changes(alone, name), name
        [together_stack] = [s for s in together["stacks"] if s["stack"] == name]
        [alone_stack] = alone["stacks"]
        assert together_stack == alone_stack, name
    for prune_path in (org, paths["east2"]):  # prunes the leftover alike
        pruned = json.loads(obsctl("plan", prune_path, "--prune", "--format", "json").stdout)
        assert [c["name"] for c in stack_changes(pruned, "east2") if c["action"] == "delete"] \
            == ["east2-alarm-2"]
