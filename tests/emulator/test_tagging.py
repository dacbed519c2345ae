"""Resource Groups Tagging API through plain boto3 against the running emulator."""

from __future__ import annotations

import pytest


@pytest.fixture
def clients(emu_client):
    return emu_client("resourcegroupstaggingapi"), emu_client("logs"), emu_client("cloudwatch")


def arns(tagging, **kw):
    out = []
    for page in tagging.get_paginator("get_resources").paginate(**kw):
        out += [r["ResourceARN"] for r in page["ResourceTagMappingList"]]
    return out


def test_log_groups_match_the_aws_resource_type(clients):
    tagging, logs, cw = clients
    logs.create_log_group(logGroupName="/app/a", tags={"obsctl:stack": "prod"})
    logs.create_log_group(logGroupName="/app/untagged")
    cw.put_metric_alarm(AlarmName="al", MetricName="m", Namespace="n", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                        Tags=[{"Key": "obsctl:stack", "Value": "prod"}])
    group_arn = "arn:aws:logs:us-east-1:123456789012:log-group:/app/a"
    assert arns(tagging, ResourceTypeFilters=["logs:log-group"]) == [group_arn]
    assert arns(tagging, ResourceTypeFilters=["logs"]) == [group_arn]
    assert arns(tagging, ResourceTypeFilters=["cloudwatch:alarm"]) == ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:al"]
    both = arns(tagging, ResourceTypeFilters=["logs:log-group", "cloudwatch:alarm"],
                TagFilters=[{"Key": "obsctl:stack", "Values": ["prod"]}])
    assert sorted(both) == sorted([group_arn, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:al"])
    assert arns(tagging, ResourceTypeFilters=["logs:log-group"], TagFilters=[{"Key": "obsctl:stack", "Values": ["dev"]}]) == []


def test_get_resources_pages_every_resource_once(clients):
    tagging, logs, _ = clients
    for i in range(230):
        logs.create_log_group(logGroupName=f"/bulk/{i:03d}", tags={"obsctl:stack": "bulk"})
    first = tagging.get_resources(ResourceTypeFilters=["logs:log-group"], ResourcesPerPage=100)
    assert len(first["ResourceTagMappingList"]) == 100 and first["PaginationToken"]
    found = arns(tagging, ResourceTypeFilters=["logs:log-group"], ResourcesPerPage=100)
    assert len(found) == 230 == len(set(found))


def test_tags_per_page_counts_untagged_as_one_and_never_splits(clients):
    tagging, logs, _ = clients
    for i in range(40):
        logs.create_log_group(logGroupName=f"/t/{i:02d}", tags={f"k{j}": "v" for j in range(3)})
    first = tagging.get_resources(TagsPerPage=100)
    assert len(first["ResourceTagMappingList"]) == 33  # 33 × 3 tags ≤ 100 < 34 × 3
    found = arns(tagging, TagsPerPage=100)
    assert len(found) == 40 == len(set(found))
