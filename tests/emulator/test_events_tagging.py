"""EventBridge rules in the Resource Groups Tagging API, through plain boto3."""

from __future__ import annotations


def test_get_resources_lists_tagged_rules_with_their_tags(emu_client):
    events, tagging = emu_client("events"), emu_client("resourcegroupstaggingapi")
    pattern = '{"source": ["aws.sagemaker"]}'
    arn = events.put_rule(Name="failed", EventPattern=pattern,
                          Tags=[{"Key": "obsctl:stack", "Value": "ml"}])["RuleArn"]
    events.put_rule(Name="untagged", EventPattern=pattern)
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "ds"}])
    found = tagging.get_resources(ResourceTypeFilters=["events:rule"])["ResourceTagMappingList"]
    assert [(r["ResourceARN"], {t["Key"]: t["Value"] for t in r["Tags"]}) for r in found] == \
        [(arn, {"obsctl:stack": "ml", "team": "ds"})]
    events.delete_rule(Name="failed")
    assert tagging.get_resources(ResourceTypeFilters=["events:rule"])["ResourceTagMappingList"] == []
