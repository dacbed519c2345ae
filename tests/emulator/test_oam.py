"""CloudWatch Observability Access Manager (oam) through plain boto3, across two accounts."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .conftest import REGION

MONITORING = "123456789012"  # moto's default account
SOURCE = "222222222222"


def error_code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


@pytest.fixture
def oam(emu_client):
    return emu_client("oam")


@pytest.fixture
def source_client(emu, emu_client):
    """A client factory acting as account SOURCE (credentials from AssumeRole, as in AWS)."""
    creds = emu_client("sts").assume_role(RoleArn=f"arn:aws:iam::{SOURCE}:role/monitoring",
                                          RoleSessionName="test")["Credentials"]

    def make(service: str):
        return boto3.client(service, endpoint_url=emu.endpoint_url, region_name=REGION,
                            aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"],
                            config=Config(retries={"max_attempts": 1}))
    return make


def allow_policy(account: str, types=("AWS::CloudWatch::Metric", "AWS::Logs::LogGroup")) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": [account]},
        "Action": ["oam:CreateLink", "oam:UpdateLink"], "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"oam:ResourceTypes": list(types)}},
    }]})


def test_sink_lifecycle_policy_and_tags(oam):
    sink = oam.create_sink(Name="central", Tags={"team": "ml"})
    assert sink["Arn"] == f"arn:aws:oam:{REGION}:{MONITORING}:sink/{sink['Id']}"
    assert oam.get_sink(Identifier=sink["Arn"], IncludeTags=True)["Tags"] == {"team": "ml"}
    assert "Tags" not in oam.get_sink(Identifier=sink["Arn"])  # IncludeTags defaults to false
    assert [s["Name"] for s in oam.list_sinks()["Items"]] == ["central"]
    assert "Policy" not in oam.get_sink_policy(SinkIdentifier=sink["Arn"])
    policy = allow_policy(SOURCE)
    assert oam.put_sink_policy(SinkIdentifier=sink["Arn"], Policy=policy)["Policy"] == policy
    assert oam.get_sink_policy(SinkIdentifier=sink["Arn"])["Policy"] == policy
    oam.tag_resource(ResourceArn=sink["Arn"], Tags={"env": "prod"})
    oam.untag_resource(ResourceArn=sink["Arn"], TagKeys=["team"])
    assert oam.list_tags_for_resource(ResourceArn=sink["Arn"])["Tags"] == {"env": "prod"}
    with pytest.raises(ClientError) as second:
        oam.create_sink(Name="another")
    assert error_code(second) == "ServiceQuotaExceededException"
    oam.delete_sink(Identifier=sink["Arn"])
    assert oam.list_sinks()["Items"] == []
    with pytest.raises(ClientError) as gone:
        oam.get_sink(Identifier=sink["Arn"])
    assert error_code(gone) == "ResourceNotFoundException"


def test_link_from_another_account_needs_the_sink_policy(oam, source_client):
    sink_arn = oam.create_sink(Name="central")["Arn"]
    source = source_client("oam")
    link_args = dict(LabelTemplate="$AccountName", ResourceTypes=["AWS::CloudWatch::Metric"], SinkIdentifier=sink_arn)
    with pytest.raises(ClientError) as denied:
        source.create_link(**link_args)
    assert error_code(denied) == "AccessDeniedException"
    oam.put_sink_policy(SinkIdentifier=sink_arn, Policy=allow_policy(SOURCE))
    with pytest.raises(ClientError) as not_covered:
        source.create_link(**{**link_args, "ResourceTypes": ["AWS::XRay::Trace"]})
    assert error_code(not_covered) == "AccessDeniedException"
    link = source.create_link(**link_args, Tags={"owner": "me"})
    assert link["Arn"].startswith(f"arn:aws:oam:{REGION}:{SOURCE}:link/")
    assert link["Label"] == SOURCE and link["SinkArn"] == sink_arn
    assert source.get_link(Identifier=link["Arn"], IncludeTags=True)["Tags"] == {"owner": "me"}
    assert [i["Arn"] for i in source.list_links()["Items"]] == [link["Arn"]]
    assert oam.list_links()["Items"] == []  # the link belongs to the source account
    attached = oam.list_attached_links(SinkIdentifier=sink_arn)["Items"]
    assert attached == [{"Label": SOURCE, "LinkArn": link["Arn"], "ResourceTypes": ["AWS::CloudWatch::Metric"]}]
    with pytest.raises(ClientError) as duplicate:
        source.create_link(**link_args)
    assert error_code(duplicate) == "ConflictException"
    with pytest.raises(ClientError) as busy:
        oam.delete_sink(Identifier=sink_arn)
    assert error_code(busy) == "ConflictException"
    updated = source.update_link(Identifier=link["Arn"],
                                 ResourceTypes=["AWS::CloudWatch::Metric", "AWS::Logs::LogGroup"],
                                 LinkConfiguration={"LogGroupConfiguration": {"Filter": "LogGroupName LIKE 'app%'"}})
    assert updated["ResourceTypes"] == ["AWS::CloudWatch::Metric", "AWS::Logs::LogGroup"]
    assert updated["LinkConfiguration"]["LogGroupConfiguration"]["Filter"] == "LogGroupName LIKE 'app%'"
    source.delete_link(Identifier=link["Arn"])
    assert oam.list_attached_links(SinkIdentifier=sink_arn)["Items"] == []
    oam.delete_sink(Identifier=sink_arn)


def test_link_to_unknown_sink_and_bad_input(source_client):
    source = source_client("oam")
    missing = f"arn:aws:oam:{REGION}:{MONITORING}:sink/does-not-exist"
    with pytest.raises(ClientError) as not_found:
        source.create_link(LabelTemplate="$AccountName", ResourceTypes=["AWS::CloudWatch::Metric"],
                           SinkIdentifier=missing)
    assert error_code(not_found) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as bad_type:
        source.create_link(LabelTemplate="x", ResourceTypes=["AWS::Nope"], SinkIdentifier=missing)
    assert error_code(bad_type) == "InvalidParameterException"


def test_sinks_and_links_show_in_tagging_api_and_reset_clears_them(emu, oam, emu_client):
    sink_arn = oam.create_sink(Name="central", Tags={"team": "ml"})["Arn"]
    tagging = emu_client("resourcegroupstaggingapi")
    found = tagging.get_resources(ResourceTypeFilters=["oam:sink"])["ResourceTagMappingList"]
    assert [r["ResourceARN"] for r in found] == [sink_arn]
    emu.reset()
    assert oam.list_sinks()["Items"] == []


def test_a_sink_id_is_random_as_in_aws(oam):
    """AWS makes a sink's ID at random: a sink made again under its name has another ARN."""
    first = oam.create_sink(Name="central")["Arn"]
    oam.delete_sink(Identifier=first)
    again = oam.create_sink(Name="central")["Arn"]
    assert again != first
    assert again.startswith(f"arn:aws:oam:{REGION}:123456789012:sink/")


def test_an_organization_policy_lets_only_the_organization_s_accounts_link(oam, source_client, emu, emu_client):
    """aws:PrincipalOrgID is evaluated against moto's Organizations: the source account
    creates an organization (it manages it); a third account belongs to none."""
    org = source_client("organizations").create_organization(FeatureSet="ALL")["Organization"]["Id"]
    sink_arn = oam.create_sink(Name="central")["Arn"]
    oam.put_sink_policy(SinkIdentifier=sink_arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": ["oam:CreateLink", "oam:UpdateLink"],
        "Resource": "*", "Condition": {
            "ForAllValues:StringEquals": {"oam:ResourceTypes": ["AWS::CloudWatch::Metric"]},
            "ForAnyValue:StringEquals": {"aws:PrincipalOrgID": org}}}]}))
    outsider_creds = emu_client("sts").assume_role(RoleArn="arn:aws:iam::333333333333:role/x",
                                                   RoleSessionName="test")["Credentials"]
    outsider = boto3.client("oam", endpoint_url=emu.endpoint_url, region_name=REGION,
                            aws_access_key_id=outsider_creds["AccessKeyId"],
                            aws_secret_access_key=outsider_creds["SecretAccessKey"],
                            aws_session_token=outsider_creds["SessionToken"])
    link_args = dict(LabelTemplate="$AccountName", ResourceTypes=["AWS::CloudWatch::Metric"],
                     SinkIdentifier=sink_arn)
    with pytest.raises(ClientError) as denied:
        outsider.create_link(**link_args)
    assert error_code(denied) == "AccessDeniedException"
    assert source_client("oam").create_link(**link_args)["SinkArn"] == sink_arn
