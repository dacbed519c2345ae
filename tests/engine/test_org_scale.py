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


def region_of(request) -> str | None:
    """The region of a proxied request, from its SigV4 credential scope."""
    scope = request.headers.get("authorization", "").split("Credential=", 1)[-1].split("/")
    return scope[2] if len(scope) > 3 else None


class WritesMeet:
    """Fault-proxy rule: the first PutMetricAlarm of each region waits (up to `patience`
    seconds) for one from the other region. Side by side, both arrive and meet; one stack
    after the other, the first region's write waits in vain (its stack cannot finish before
    it returns), and `met` stays False."""

    def __init__(self, regions: tuple[str, str], patience: float = 30.0) -> None:
        self.arrived = {region: threading.Event() for region in regions}
        self.patience, self.met = patience, {region: False for region in regions}

    def __call__(self, request):
        region = region_of(request)
        if request.operation != "PutMetricAlarm" or region not in self.arrived:
            return None
        if not self.arrived[region].is_set():
            self.arrived[region].set()
            [other] = [r for r in self.arrived if r != region]
            self.met[region] = self.arrived[other].wait(self.patience)
        return None


def test_stacks_in_two_regions_apply_side_by_side(obsctl, aws, tmp_path):
    write_stacks(tmp_path, [("east", "us-east-1", None), ("west", "eu-west-1", None)])
    meet = WritesMeet(("us-east-1", "eu-west-1"))
    with FaultProxy(aws.endpoint_url, fault_rate=0, latency=(0, 0), rules=[meet]) as proxy:
        result = obsctl("apply", str(tmp_path / "org"), "--auto-approve",
                        "--endpoint-url", proxy.endpoint_url)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert meet.met == {"us-east-1": True, "eu-west-1": True}
    assert "Apply complete: 8 created" in result.stdout


def test_paced_writes_share_buckets_per_account_and_region(aws, monkeypatch):
    from reconciler import ratelimit
    from reconciler.aws import AwsContext

    monkeypatch.setenv("OBSCTL_RATE_LIMITS", "aws")
    monkeypatch.setattr(ratelimit.TokenBucket, "take", lambda self: 0.0)
    contexts = [AwsContext.create(region="us-east-1", endpoint_url=aws.endpoint_url),
                AwsContext.create(region="eu-west-1", endpoint_url=aws.endpoint_url),
                AwsContext.create(region="us-east-1", endpoint_url=aws.endpoint_url,
                                  role_arn=OTHER_ACCOUNT_ROLE)]
    for context in contexts:
        context.client("cloudwatch").describe_alarms()
    scopes = {scope for scope, operation in ratelimit._buckets
              if operation == "cloudwatch.DescribeAlarms" and scope[0] == aws.endpoint_url}
    assert scopes >= {(aws.endpoint_url, "aws", "123456789012", "us-east-1"),
                      (aws.endpoint_url, "aws", "123456789012", "eu-west-1"),
                      (aws.endpoint_url, "aws", "222222222222", "us-east-1")}


def test_stacks_with_one_role_assume_it_once_per_run(obsctl, tmp_path):
    """Four stacks assume the same role, in two regions: one AssumeRole for the run, and
    the role's credentials are one identity (one GetCallerIdentity), whatever the region."""
    write_stacks(tmp_path, [(f"role{i}", region, OTHER_ACCOUNT_ROLE)
                            for i, region in enumerate(["us-east-1", "eu-west-1"] * 2)]
                 + [("plain", "us-east-1", None)])
    org = str(tmp_path / "org")
    applied = obsctl("apply", org, "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert applied.calls["sts.AssumeRole"] == 1, applied.calls
    document, planned = plan_document(obsctl, org)
    assert document["changes"] == []
    assert planned.calls["sts.AssumeRole"] == 1, planned.calls
    # One identity for the role's credentials, one for the default ones.
    assert planned.calls["sts.GetCallerIdentity"] == 2, planned.calls
