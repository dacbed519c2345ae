"""CloudWatch cross-account observability (OAM sinks and links) through the CLI against the
emulator: the sink stack runs in the emulator's default account, the link stack assumes a
role in another account (moto's AssumeRole switches account)."""

from __future__ import annotations

import json

import boto3

from tests.conftest import REGION
from tests.helpers import (addresses, apply_ok, assert_converged, assert_no_changes, change,
                           field_diffs, plan_json, summary, without_marker)

MONITORING = "123456789012"  # the emulator's default account
SOURCE = "222222222222"
OTHER = "333333333333"
METRICS_AND_LOGS = ["AWS::CloudWatch::Metric", "AWS::Logs::LogGroup"]

SINK_STACK = f"""
stack: monitoring
tags: {{team: platform}}
observability_sinks:
  central:
    source_accounts: ["{SOURCE}"]
    resource_types: [AWS::Logs::LogGroup, AWS::CloudWatch::Metric]
"""

LINK_STACK = """
stack: source
role_arn: arn:aws:iam::{account}:role/obsctl
observability_links:
  to-central:
    sink: {sink}
    label: {label}
    resource_types: [AWS::CloudWatch::Metric]
"""


def sink_arn(boto) -> str:
    [sink] = boto("oam").list_sinks()["Items"]
    return sink["Arn"]


def client_in(aws, account: str, service: str):
    """A plain boto3 client acting in `account` (credentials from AssumeRole, as in AWS)."""
    sts = boto3.client("sts", region_name=REGION, endpoint_url=aws.endpoint_url)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/test",
                            RoleSessionName="test")["Credentials"]
    return boto3.client(service, region_name=REGION, endpoint_url=aws.endpoint_url,
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def link_stack(sink: str, account: str = SOURCE, label: str = "$AccountName") -> str:
    return LINK_STACK.format(account=account, sink=sink, label=label)


# --- sinks -------------------------------------------------------------------------------------

def test_sink_is_created_with_the_documented_policy_and_converges(obsctl, write_config, boto):
    path = write_config(SINK_STACK)
    first = apply_ok(obsctl, path)
    assert "+ observability_sinks/central: created" in first.stdout
    assert_converged(obsctl, path)

    oam = boto("oam")
    arn = sink_arn(boto)
    assert json.loads(oam.get_sink_policy(SinkIdentifier=arn)["Policy"]) == {
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": [SOURCE]},
            "Action": ["oam:CreateLink", "oam:UpdateLink"], "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"oam:ResourceTypes": METRICS_AND_LOGS}}}]}
    tags = oam.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert without_marker(tags) == {"obsctl:stack": "monitoring", "team": "platform"}


def test_sink_accounts_change_and_policy_drift_are_field_diffs(obsctl, write_config, boto):
    path = write_config(SINK_STACK)
    apply_ok(obsctl, path)
    write_config(SINK_STACK.replace(f'["{SOURCE}"]', f'["{OTHER}", "{SOURCE}"]'))
    doc = plan_json(obsctl, path)
    assert field_diffs(change(doc, "observability_sinks/central")) == {
        "source_accounts": ([SOURCE], [SOURCE, OTHER])}
    apply_ok(obsctl, path)
    assert_no_changes(obsctl, path)

    # Someone widens the policy by hand: a shape obsctl does not write shows as drift.
    oam, arn = boto("oam"), sink_arn(boto)
    hand_made = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "oam:*", "Resource": "*"}]}
    oam.put_sink_policy(SinkIdentifier=arn, Policy=json.dumps(hand_made))
    doc = plan_json(obsctl, path)
    sink = change(doc, "observability_sinks/central")
    assert sink["cause"] == "drift"
    diffs = field_diffs(sink)
    assert json.loads(diffs["policy"][0]) == hand_made and diffs["policy"][1] is None
    assert diffs["source_accounts"] == (None, [SOURCE, OTHER])
    apply_ok(obsctl, path)
    assert_no_changes(obsctl, path)


def test_sink_for_an_organization(obsctl, write_config, boto):
    path = write_config(SINK_STACK.replace(f'["{SOURCE}"]', "{organization_id: o-abcdef0123}"))
    apply_ok(obsctl, path)
    assert_converged(obsctl, path)
    statement = json.loads(boto("oam").get_sink_policy(SinkIdentifier=sink_arn(boto))["Policy"])[
        "Statement"][0]
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {
        "ForAllValues:StringEquals": {"oam:ResourceTypes": METRICS_AND_LOGS},
        "ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-abcdef0123"}}


def test_sink_tag_drift_and_prune_only_owned(obsctl, write_config, boto):
    path = write_config(SINK_STACK)
    apply_ok(obsctl, path)
    oam, arn = boto("oam"), sink_arn(boto)
    oam.tag_resource(ResourceArn=arn, Tags={"extra": "1"})
    doc = plan_json(obsctl, path)
    assert field_diffs(change(doc, "observability_sinks/central")) == {"tags.extra": ("1", None)}
    apply_ok(obsctl, path)
    assert "extra" not in oam.list_tags_for_resource(ResourceArn=arn)["Tags"]

    write_config("stack: monitoring\ntags: {team: platform}\n")
    left = plan_json(obsctl, path)
    assert left["changes"] == []
    doc = plan_json(obsctl, path, "--prune", "--allow-mass-delete")
    assert addresses(doc) == ["observability_sinks/central"] and doc["summary"] == summary(delete=1)
    apply_ok(obsctl, path, "--prune", "--allow-mass-delete")
    assert oam.list_sinks()["Items"] == []

    # A sink made by hand is never pruned by the stack.
    oam.create_sink(Name="by-hand")
    assert plan_json(obsctl, path, "--prune", "--allow-mass-delete")["changes"] == []


# --- links, across accounts --------------------------------------------------------------------

def write_both(write_config, sink: str, **link) -> str:
    write_config(SINK_STACK, name="run/monitoring.yaml")
    path = write_config(link_stack(sink, **link), name="run/source.yaml")
    return path.rsplit("/", 1)[0]


# The sink of the monitoring stack, named by reference: its ARN ends in a random ID.
SINK_REF = "{stack: monitoring, name: central}"


def test_one_run_makes_the_sink_then_the_link_from_the_source_account(aws, obsctl, write_config, boto):
    run = write_both(write_config, SINK_REF)
    doc = plan_json(obsctl, run)
    assert addresses(doc) == ["observability_links/to-central", "observability_sinks/central"]
    # The sink's ARN is AWS's pick: the plan shows it is known after apply.
    assert change(doc, "observability_links/to-central")["after"]["sink"] == (
        "(known after apply: the ARN of sink 'central' of stack 'monitoring')")
    applied = apply_ok(obsctl, run)
    assert "+ observability_links/to-central: created" in applied.stdout
    assert_converged(obsctl, run)
    sink = sink_arn(boto)
    # Once the sink exists, the plan resolves the reference to its ARN.
    assert "(known after apply" not in obsctl("plan", run, "--no-color").stdout

    [attached] = boto("oam").list_attached_links(SinkIdentifier=sink)["Items"]
    assert attached["LinkArn"].startswith(f"arn:aws:oam:{REGION}:{SOURCE}:link/")
    assert attached["Label"] == SOURCE and attached["ResourceTypes"] == ["AWS::CloudWatch::Metric"]
    source = client_in(aws, SOURCE, "oam")
    link = source.get_link(Identifier=attached["LinkArn"], IncludeTags=True)
    assert without_marker(link["Tags"]) == {"obsctl:stack": "source"}
    assert boto("oam").list_links()["Items"] == []  # the link is the source account's


def test_link_resource_types_update_label_replace_and_drift(aws, obsctl, write_config, boto):
    sink = SINK_REF
    run = write_both(write_config, sink)
    apply_ok(obsctl, run)
    source = client_in(aws, SOURCE, "oam")
    [before] = source.list_links()["Items"]

    write_config(link_stack(sink).replace("[AWS::CloudWatch::Metric]",
                                          "[AWS::Logs::LogGroup, AWS::CloudWatch::Metric]"),
                 name="run/source.yaml")
    doc = plan_json(obsctl, run)
    assert field_diffs(change(doc, "observability_links/to-central")) == {
        "resource_types": (["AWS::CloudWatch::Metric"], METRICS_AND_LOGS)}
    updated = apply_ok(obsctl, run)
    assert updated.calls["oam.UpdateLink"] == 1 and updated.calls.get("oam.CreateLink", 0) == 0
    [after] = source.list_links()["Items"]
    assert after["Arn"] == before["Arn"] and after["ResourceTypes"] == METRICS_AND_LOGS
    assert_no_changes(obsctl, run)

    # Out of band, the types shrink again: drift, repaired by UpdateLink.
    source.update_link(Identifier=after["Arn"], ResourceTypes=["AWS::Logs::LogGroup"])
    doc = plan_json(obsctl, run)
    assert change(doc, "observability_links/to-central")["cause"] == "drift"
    apply_ok(obsctl, run)
    assert_no_changes(obsctl, run)

    # The label template cannot change: the link is replaced.
    write_config(link_stack(sink, label="ml-$AccountName").replace(
        "[AWS::CloudWatch::Metric]", "[AWS::Logs::LogGroup, AWS::CloudWatch::Metric]"),
        name="run/source.yaml")
    doc = plan_json(obsctl, run)
    assert field_diffs(change(doc, "observability_links/to-central")) == {
        "label": ("$AccountName", "ml-$AccountName")}
    apply_ok(obsctl, run)
    [replaced] = source.list_links()["Items"]
    assert replaced["Arn"] != before["Arn"] and replaced["Label"] == f"ml-{SOURCE}"
    assert_converged(obsctl, run)


def test_an_organization_sink_lets_the_organization_s_accounts_link(aws, obsctl, write_config, boto):
    # The source account manages an organization (moto's Organizations); another account
    # belongs to none, and the sink refuses it.
    org = client_in(aws, SOURCE, "organizations").create_organization(
        FeatureSet="ALL")["Organization"]["Id"]
    sink = SINK_REF
    write_config(SINK_STACK.replace(f'["{SOURCE}"]', f"{{organization_id: {org}}}"),
                 name="run/monitoring.yaml")
    run = write_config(link_stack(sink), name="run/source.yaml").rsplit("/", 1)[0]
    apply_ok(obsctl, run)
    assert_converged(obsctl, run)
    assert len(boto("oam").list_attached_links(SinkIdentifier=sink_arn(boto))["Items"]) == 1
    write_config(link_stack(sink, account=OTHER), name="run/source.yaml")
    refused = obsctl("apply", run, "--auto-approve")
    assert refused.exit_code == 1
    assert f"does not let account {OTHER} link" in refused.stdout + refused.stderr


def test_a_link_the_sink_policy_does_not_allow_fails_with_one_line(aws, obsctl, write_config, boto):
    run = write_both(write_config, SINK_REF, account=OTHER)
    result = obsctl("apply", run, "--auto-approve")
    assert result.exit_code == 1
    [failed] = [line for line in result.stdout.splitlines() + result.stderr.splitlines()
                if "observability_links/to-central" in line and "does not let" in line]
    assert "create failed: AccessDeniedException: " in failed  # AWS's words first
    assert f"does not let account {OTHER} link with AWS::CloudWatch::Metric" in failed
    assert "Traceback" not in result.stdout + result.stderr
    assert client_in(aws, OTHER, "oam").list_links()["Items"] == []
    # The sink was made all the same; allowing the account and rerunning converges.
    write_config(SINK_STACK.replace(f'["{SOURCE}"]', f'["{OTHER}"]'), name="run/monitoring.yaml")
    apply_ok(obsctl, run)
    assert_converged(obsctl, run)


def test_link_prune_only_owned_and_sink_delete_refused_while_linked(aws, obsctl, write_config, boto):
    sink = SINK_REF
    run = write_both(write_config, sink)
    apply_ok(obsctl, run)
    # The reference and the ARN it stands for are the same link: no change.
    write_config(link_stack(sink_arn(boto)), name="run/source.yaml")
    assert_no_changes(obsctl, run)
    # The sink cannot go while a link is attached: one clear line.
    write_config("stack: monitoring\n", name="run/monitoring.yaml")
    result = obsctl("apply", run, "--auto-approve", "--prune", "--allow-mass-delete")
    assert result.exit_code == 1
    assert "delete those links first" in result.stdout + result.stderr
    # Dropping the link too: one run deletes the link (source account) before the sink.
    write_config("stack: source\nrole_arn: arn:aws:iam::222222222222:role/obsctl\n",
                 name="run/source.yaml")
    doc = plan_json(obsctl, run, "--prune", "--allow-mass-delete")
    # Undeclared, a link is named after its sink's account.
    assert addresses(doc) == [f"observability_links/to-{MONITORING}", "observability_sinks/central"]
    apply_ok(obsctl, run, "--prune", "--allow-mass-delete")
    assert boto("oam").list_sinks()["Items"] == []
    assert client_in(aws, SOURCE, "oam").list_links()["Items"] == []


def test_the_printed_iam_policy_covers_every_call_of_plan_apply_and_prune(aws, obsctl, write_config, boto):
    sink = SINK_REF
    run = write_both(write_config, sink)
    printed = obsctl("iam-policy", run, "--for", "apply")
    assert printed.exit_code == 0, printed.stderr
    policy = json.loads(printed.stdout)
    allowed = {action for statement in policy["Statement"] for action in statement["Action"]}
    assert {"oam:CreateSink", "oam:PutSinkPolicy", "oam:CreateLink", "oam:UpdateLink"} <= allowed
    sink_writes = next(s for s in policy["Statement"] if "oam:CreateSink" in s["Action"])
    assert sink_writes["Resource"] == ["arn:aws:oam:*:*:sink/*"]  # no region, no role: any
    def actions(calls) -> set[str]:
        return {f"{'tag' if service == 'resourcegroupstaggingapi' else service}:{operation}"
                for service, operation in (call.split(".", 1) for call in calls)}

    # AssumeRole is the caller's permission (on the role), not the role's.
    assert actions(apply_ok(obsctl, run).calls) - {"sts:AssumeRole"} <= allowed
    write_config("stack: monitoring\n", name="run/monitoring.yaml")
    write_config(f"stack: source\nrole_arn: arn:aws:iam::{SOURCE}:role/obsctl\n", name="run/source.yaml")
    # Pruning with the policy printed before the resources left the config (README).
    pruned = {a for a in actions(apply_ok(obsctl, run, "--prune", "--allow-mass-delete").calls)
              if a.startswith("oam:")}
    assert {"oam:DeleteLink", "oam:DeleteSink"} <= pruned <= allowed


def test_a_hand_made_link_to_the_declared_sink_is_a_conflict_never_touched(aws, obsctl, write_config, boto):
    apply_ok(obsctl, write_config(SINK_STACK, name="run/monitoring.yaml"))
    sink = sink_arn(boto)  # written out: a link's sink may be its ARN
    source = client_in(aws, SOURCE, "oam")
    made = source.create_link(SinkIdentifier=sink, LabelTemplate="by-hand",
                              ResourceTypes=["AWS::Logs::LogGroup"])
    run = write_both(write_config, sink)
    doc = plan_json(obsctl, run, exit_codes=(1,))
    conflict = change(doc, "observability_links/to-central")
    assert conflict["action"] == "conflict" and "without an owner tag" in conflict["reason"]
    result = obsctl("apply", run, "--auto-approve", "--prune", "--allow-mass-delete")
    assert result.writes == 0, result.calls
    [link] = source.list_links()["Items"]
    assert link["Arn"] == made["Arn"] and link["Label"] == "by-hand"
