"""Pure logic of the OAM kinds: the sink policy and its reading back, link names, labels."""

from __future__ import annotations

import json

import pytest

from reconciler.kinds.observability_links import check_label, live_names
from reconciler.kinds.observability_sinks import read_policy, sink_policy

ACCOUNTS = {"source_accounts": ["111111111111", "222222222222"], "organization_id": None,
            "resource_types": ["AWS::CloudWatch::Metric", "AWS::Logs::LogGroup"]}
ORGANIZATION = {"source_accounts": None, "organization_id": "o-abcdef0123",
                "resource_types": ["AWS::CloudWatch::Metric"]}


@pytest.mark.parametrize("fields", [ACCOUNTS, ORGANIZATION])
def test_the_written_policy_reads_back_as_the_same_fields(fields):
    assert read_policy(json.dumps(sink_policy(fields))) == fields


def test_policy_spellings_iam_takes_alike_read_alike():
    # Single values for lists, other orders, and account IDs written back as root ARNs.
    policy = {"Version": "2012-10-17", "Statement": {
        "Sid": "links", "Effect": "Allow", "Resource": ["*"],
        "Principal": {"AWS": ["arn:aws:iam::222222222222:root", "111111111111"]},
        "Action": ["oam:UpdateLink", "oam:CreateLink"],
        "Condition": {"ForAllValues:StringEquals": {
            "oam:ResourceTypes": ["AWS::Logs::LogGroup", "AWS::CloudWatch::Metric"]}}}}
    assert read_policy(json.dumps(policy)) == ACCOUNTS


@pytest.mark.parametrize("change", [
    lambda s: s.update(Action="oam:*"),
    lambda s: s.update(Effect="Deny"),
    lambda s: s["Condition"].pop("ForAllValues:StringEquals"),
    lambda s: s["Condition"].update({"StringEquals": {"aws:SourceAccount": "1"}}),
    lambda s: s.update(Principal={"AWS": "*"}),  # everyone, without the organization condition
    lambda s: s.update(NotResource="x"),
])
def test_any_other_policy_shape_is_kept_whole_so_it_shows_as_drift(change):
    policy = sink_policy(ACCOUNTS)
    change(policy["Statement"][0])
    fields = read_policy(json.dumps(policy))
    assert fields["source_accounts"] is None and fields["resource_types"] is None
    assert json.loads(fields["policy"]) == policy


def test_no_policy_and_a_broken_one():
    assert read_policy(None) == {"source_accounts": None, "organization_id": None,
                                 "resource_types": None}
    assert read_policy("{not json")["policy"] == "{not json"


def test_label_variables():
    assert check_label("$AccountName ($AccountEmailNoDomain)") == "$AccountName ($AccountEmailNoDomain)"
    assert check_label("costs in $") == "costs in $"
    with pytest.raises(ValueError, match="unknown label variable '\\$Account'"):
        check_label("$Account")
    with pytest.raises(ValueError, match="control character"):
        check_label("a\nb")


def test_links_are_named_by_their_sink():
    sink_a = "arn:aws:oam:us-east-1:111111111111:sink/a"
    sink_b = "arn:aws:oam:us-east-1:333333333333:sink/b"
    sink_c = "arn:aws:oam:us-east-1:444444444444:sink/c"
    links = [{"SinkArn": sink_a, "Id": "1"}, {"SinkArn": sink_b, "Id": "2"},
             {"SinkArn": sink_c, "Id": "3"}]
    # Declared: the entry's name; else to-<account>, unless an entry has that name already.
    assert live_names(links, {sink_a: "central", "arn:aws:oam:us-east-1:9:sink/x": "to-444444444444"}) == [
        "central", "to-333333333333", "link-3"]
