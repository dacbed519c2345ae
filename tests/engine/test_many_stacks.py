"""Several stacks in one run: each with its own region / assumed role, planned concurrently,
output grouped by stack, one exit code."""

from __future__ import annotations

import json

import boto3

EAST = """
stack: east
region: us-east-1
topics: {east-alerts: {}}
"""
WEST = """
stack: west
region: eu-west-1
role_arn: arn:aws:iam::111111111111:role/obsctl
topics: {west-alerts: {}}
"""


def test_two_stacks_two_regions_one_via_assume_role(obsctl, write_config, aws, tmp_path):
    write_config(EAST, name="stacks/east.yaml")
    write_config(WEST, name="stacks/west.yaml")
    stacks = str(tmp_path / "stacks")

    plan = obsctl("plan", stacks, "--detailed-exitcode")
    assert plan.exit_code == 2
    assert "Stack east (us-east-1):" in plan.stdout and "Stack west (eu-west-1):" in plan.stdout
    assert plan.stdout.index("east-alerts") < plan.stdout.index("Stack west")
    assert plan.calls["sts.AssumeRole"] == 1

    assert obsctl("apply", stacks, "--auto-approve").exit_code == 0
    assert obsctl("plan", stacks, "--detailed-exitcode").exit_code == 0

    def topics(region, **credentials):
        sns = boto3.client("sns", region_name=region, endpoint_url=aws.endpoint_url, **credentials)
        return {t["TopicArn"] for t in sns.list_topics()["Topics"]}

    assert topics("us-east-1") == {"arn:aws:sns:us-east-1:123456789012:east-alerts"}
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=aws.endpoint_url)
    creds = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/obsctl",
                            RoleSessionName="check")["Credentials"]
    assumed = topics("eu-west-1", aws_access_key_id=creds["AccessKeyId"],
                     aws_secret_access_key=creds["SecretAccessKey"],
                     aws_session_token=creds["SessionToken"])
    assert assumed == {"arn:aws:sns:eu-west-1:111111111111:west-alerts"}


def test_json_plan_lists_each_stack_and_its_changes(obsctl, write_config, tmp_path):
    write_config(EAST, name="stacks/east.yaml")
    write_config(WEST.replace("topics: {west-alerts: {}}", "topics: {west-alerts: {}, east-alerts: {}}")
                 .replace("role_arn: arn:aws:iam::111111111111:role/obsctl\n", ""), name="stacks/west.yaml")
    result = obsctl("plan", str(tmp_path / "stacks"), "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert [s["stack"] for s in document["stacks"]] == ["east", "west"]
    assert {(c["stack"], c["name"]) for c in document["changes"]} == {
        ("east", "east-alerts"), ("west", "west-alerts"), ("west", "east-alerts")}
