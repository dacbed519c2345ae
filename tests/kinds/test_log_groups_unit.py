"""Log groups and metric filters without AWS: validation, both sides of the comparable form,
and which API calls an update chooses."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import TypeAdapter, ValidationError

from reconciler.applied import APPLIED_TAG
from reconciler.aws import Scope
from reconciler.config.stack import Stack
from reconciler.diagnostics import Location
from reconciler.kinds.base import Desired, Live
from reconciler.kinds.log_groups import (
    RETENTION_DAYS,
    LogGroupConfig,
    LogGroupName,
    LogGroups,
    live_spec,
    tagging_arn,
)
from reconciler.kinds.metric_filters import MetricFilters, comparable_filter, spec_transformation
from reconciler.plan import diff_fields

SCOPE = Scope(region="us-east-1", account_id="123456789012")
GROUPS, FILTERS = LogGroups(), MetricFilters()
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OWNER = {"obsctl:stack": "test"}


def make_stack(log_groups: dict, sources=None) -> Stack:
    config = SimpleNamespace(
        log_groups={name: LogGroupConfig.model_validate(g) for name, g in log_groups.items()},
        region=None, tags={"team": "ml"}, prune={})
    return Stack(name="test", config=config, sources=sources or {})


def group_spec(group: dict) -> dict:
    return GROUPS.desired(make_stack({"/ml/churn": group}), SCOPE)["/ml/churn"].spec


def described_group(**fields) -> dict:
    """A DescribeLogGroups item as AWS returns it."""
    return {"logGroupName": "/ml/churn", "creationTime": 1, "metricFilterCount": 0,
            "storedBytes": 0, "arn": "arn:aws:logs:us-east-1:123456789012:log-group:/ml/churn:*",
            "logGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:/ml/churn", **fields}


def validation_messages(model_or_type, value) -> list[str]:
    adapter = model_or_type if isinstance(model_or_type, TypeAdapter) else TypeAdapter(model_or_type)
    with pytest.raises(ValidationError) as error:
        adapter.validate_python(value)
    return [e["msg"] for e in error.value.errors()]


# --- log groups: validation -------------------------------------------------------------------

@pytest.mark.parametrize("days", [45, 0, -1, "30", 30.0, True, "forever", "Never"])
def test_retention_outside_the_cloudwatch_list_is_rejected_naming_the_list(days):
    [message] = validation_messages(LogGroupConfig, {"retention_days": days})
    assert f"retention_days {days!r}" in message
    assert "is not accepted by CloudWatch Logs; use one of 1, 3, 5, 7, 14, 30," in message
    assert message.endswith("3288, 3653, or never")


def test_quoted_number_of_days_gets_a_hint():
    [message] = validation_messages(LogGroupConfig, {"retention_days": "30"})
    assert "write the number without quotes" in message


def test_empty_retention_is_rejected_not_taken_as_unmanaged():
    [message] = validation_messages(LogGroupConfig, {"retention_days": None})
    assert message.startswith("Value error, retention_days is empty; use one of 1, 3,")
    assert "leave the key out" in message


@pytest.mark.parametrize("days", [*RETENTION_DAYS, "never"])
def test_every_accepted_retention_validates(days):
    assert LogGroupConfig.model_validate({"retention_days": days}).retention_days == days


@pytest.mark.parametrize("name", ["aws/lambda/x", "", "/has space", "/ml/churn:1", "x" * 513, "/ml/é"])
def test_bad_log_group_names_are_rejected(name):
    assert validation_messages(LogGroupName, name)


@pytest.mark.parametrize("name", ["/aws/sagemaker/Endpoints/churn", "a", "x" * 512, "ml.#_-/x"])
def test_good_log_group_names_validate(name):
    assert TypeAdapter(LogGroupName).validate_python(name) == name


@pytest.mark.parametrize("key", ["alias/logs", "arn:aws:kms:us-east-1:123456789012:alias/logs",
                                 "1234abcd-12ab-34cd-56ef-1234567890ab"])
def test_kms_key_must_be_a_key_arn(key):
    [message] = validation_messages(LogGroupConfig, {"kms_key_id": key})
    assert "must be a KMS key ARN" in message


def test_subscription_filters_are_part_of_a_log_group_entry():
    # The kind itself is tested in test_subscription_filters*.py.
    assert LogGroupConfig.model_validate({"subscription_filters": {}}).subscription_filters == {}


# --- log groups: comparable form --------------------------------------------------------------

def test_omitted_retention_and_kms_key_are_not_managed():
    assert group_spec({}) == {"tags": {"team": "ml", **OWNER}}


def test_written_retention_and_kms_key_are_managed_and_null_key_means_none():
    assert group_spec({"retention_days": "never", "kms_key_id": None}) == {
        "retention_days": "never", "kms_key_id": None, "tags": {"team": "ml", **OWNER}}
    assert group_spec({"retention_days": 30, "kms_key_id": KEY})["kms_key_id"] == KEY


def test_absent_retention_in_days_reads_as_never():
    assert live_spec(described_group(), {}) == {"retention_days": "never", "kms_key_id": None, "tags": {}}
    assert live_spec(described_group(retentionInDays=30, kmsKeyId=KEY), OWNER) == {
        "retention_days": 30, "kms_key_id": KEY, "tags": OWNER}


def test_tagging_arn_has_no_wildcard_suffix_even_without_log_group_arn():
    group = described_group()
    assert tagging_arn(group) == "arn:aws:logs:us-east-1:123456789012:log-group:/ml/churn"
    del group["logGroupArn"]
    assert tagging_arn(group) == "arn:aws:logs:us-east-1:123456789012:log-group:/ml/churn"


def test_unmanaged_fields_never_diff_and_managed_ones_diff_alone():
    tags = {"team": "ml", **OWNER}
    live = live_spec(described_group(retentionInDays=7, kmsKeyId=KEY), tags)
    unmanaged = group_spec({})
    assert diff_fields(GROUPS.comparable(live, unmanaged), unmanaged) == []
    managed = group_spec({"retention_days": 30})
    [change] = diff_fields(GROUPS.comparable(live, managed), managed)
    assert (change.path, change.before, change.after) == ("retention_days", 7, 30)


class RecordingLogs:
    """Stands in for the logs client: records (operation, arguments)."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, operation):
        return lambda **arguments: self.calls.append((operation, arguments))


GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/ml/churn"


def updated(desired: dict, live: dict, live_tags=None) -> list:
    logs = RecordingLogs()
    aws = SimpleNamespace(client=lambda service: logs)
    GROUPS.update(aws, Desired("/ml/churn", desired),
                  Live("/ml/churn", live, tags=live_tags or OWNER, identity={"arn": GROUP_ARN}))
    return logs.calls


def marker(spec: dict) -> dict[str, str]:
    """The last-applied marker tag a group gets with `spec`."""
    return {APPLIED_TAG: Desired("/ml/churn", spec).applied}


def test_update_to_never_deletes_the_retention_policy_and_null_key_disassociates():
    live = {"retention_days": 30, "kms_key_id": KEY, "tags": OWNER}
    desired = {"retention_days": "never", "kms_key_id": None, "tags": OWNER}
    calls = updated(desired, live)
    assert calls == [("delete_retention_policy", {"logGroupName": "/ml/churn"}),
                     ("disassociate_kms_key", {"logGroupName": "/ml/churn"}),
                     ("tag_resource", {"resourceArn": GROUP_ARN, "tags": marker(desired)})]


def test_update_sets_days_key_and_tags_with_the_tagging_arn():
    live = {"retention_days": "never", "kms_key_id": None, "tags": {**OWNER, "extra": "1"}}
    desired = {"retention_days": 14, "kms_key_id": KEY, "tags": {**OWNER, "team": "ml"}}
    calls = updated(desired, live, live_tags={**OWNER, "extra": "1"})
    assert calls == [
        ("put_retention_policy", {"logGroupName": "/ml/churn", "retentionInDays": 14}),
        ("associate_kms_key", {"logGroupName": "/ml/churn", "kmsKeyId": KEY}),
        ("tag_resource", {"resourceArn": GROUP_ARN, "tags": {"team": "ml", **marker(desired)}}),
        ("untag_resource", {"resourceArn": GROUP_ARN, "tagKeys": ["extra"]}),
    ]


def test_update_leaves_unmanaged_fields_alone():
    live = {"retention_days": 7, "kms_key_id": KEY, "tags": OWNER}
    desired = {"tags": OWNER}
    assert updated(desired, live, live_tags={**OWNER, **marker(desired)}) == []


def test_create_sends_key_and_tags_and_sets_retention_only_for_a_number_of_days():
    logs = RecordingLogs()
    aws = SimpleNamespace(client=lambda service: logs)
    first = {"retention_days": "never", "kms_key_id": KEY, "tags": OWNER}
    second = {"retention_days": 30, "tags": OWNER}
    GROUPS.create(aws, Desired("/a", first))
    GROUPS.create(aws, Desired("/b", second))
    assert logs.calls == [
        ("create_log_group", {"logGroupName": "/a", "tags": {**OWNER, **marker(first)},
                              "kmsKeyId": KEY}),
        ("create_log_group", {"logGroupName": "/b", "tags": {**OWNER, **marker(second)}}),
        ("put_retention_policy", {"logGroupName": "/b", "retentionInDays": 30}),
    ]
    assert first["tags"] == OWNER  # the marker goes beside the spec, never into it


# --- metric filters: validation ---------------------------------------------------------------

METRIC = {"namespace": "ML/Churn", "name": "InferenceErrors", "value": "1"}


def group_with_filters(filters: dict) -> dict:
    return {"metric_filters": filters}


@pytest.mark.parametrize("bad", [
    {"bad:name": {"pattern": "", "metric": METRIC}},
    {"bad*name": {"pattern": "", "metric": METRIC}},
    {"": {"pattern": "", "metric": METRIC}},
    {"long": {"pattern": "x" * 1025, "metric": METRIC}},
    {"empty-value": {"pattern": "", "metric": {**METRIC, "value": ""}}},
    {"number-value": {"pattern": "", "metric": {**METRIC, "value": 1}}},
    {"dollar-name": {"pattern": "", "metric": {**METRIC, "name": "a$b"}}},
    {"unit": {"pattern": "", "metric": {**METRIC, "unit": "Requests"}}},
    {"four-dimensions": {"pattern": "", "metric": {
        **METRIC, "dimensions": {"a": "$.a", "b": "$.b", "c": "$.c", "d": "$.d"}}}},
    {"no-metric": {"pattern": ""}},
])
def test_bad_metric_filters_are_rejected(bad):
    assert validation_messages(LogGroupConfig, group_with_filters(bad))


def test_dimensions_and_default_value_together_are_rejected():
    [message] = validation_messages(LogGroupConfig, group_with_filters({"f": {"pattern": "", "metric": {
        **METRIC, "default_value": 0, "dimensions": {"Model": "$.model"}}}}))
    assert "cannot have a default_value" in message


def test_more_than_100_filters_per_log_group_are_rejected():
    filters = {f"f{i}": {"pattern": "", "metric": METRIC} for i in range(101)}
    assert validation_messages(LogGroupConfig, group_with_filters(filters))


# --- metric filters: comparable form ----------------------------------------------------------

def test_filter_names_carry_their_log_group_and_location():
    where = Location("stack.yaml", 7, 9)
    stack = make_stack({"/ml/churn": group_with_filters({"errors": {"pattern": "ERROR", "metric": METRIC}})},
                       sources={("log_groups", "/ml/churn", "metric_filters", "errors"): where})
    [desired] = FILTERS.desired(stack, SCOPE).values()
    assert desired.name == "/ml/churn:errors"
    assert desired.location == where
    assert desired.spec == {"log_group": "/ml/churn", "pattern": "ERROR", "metric_namespace": "ML/Churn",
                            "metric_name": "InferenceErrors", "metric_value": "1"}


def test_values_aws_rewrites_compare_equal():
    desired = comparable_filter("/g", " ?ERROR ?Exception\n", {
        "metricNamespace": "N", "metricName": "E", "metricValue": "$.latency", "defaultValue": 0,
        "unit": "None", "dimensions": {}})
    described = comparable_filter("/g", "?ERROR ?Exception", {
        "metricNamespace": "N", "metricName": "E", "metricValue": "$.latency", "defaultValue": 0.0})
    assert desired == described
    assert "unit" not in described and "dimensions" not in described


def test_dimension_order_does_not_matter_but_values_do():
    def spec(dimensions):
        return comparable_filter("/g", "", {"metricNamespace": "N", "metricName": "E", "metricValue": "1",
                                            "dimensions": dimensions})
    assert spec({"b": "$.b", "a": "$.a"}) == spec({"a": "$.a", "b": "$.b"})
    [change] = diff_fields(spec({"a": "$.x"}), spec({"a": "$.a"}))
    assert change.path == "dimensions.a"


def test_default_value_absent_differs_from_zero():
    absent = comparable_filter("/g", "", {"metricNamespace": "N", "metricName": "E", "metricValue": "1"})
    zero = comparable_filter("/g", "", {"metricNamespace": "N", "metricName": "E", "metricValue": "1",
                                        "defaultValue": 0.0})
    [change] = diff_fields(absent, zero)
    assert (change.path, change.before, change.after) == ("default_value", None, 0)


def test_put_request_round_trips_to_the_same_comparable_form():
    item = {"metricNamespace": "N", "metricName": "E", "metricValue": "$.ms", "defaultValue": 1.5,
            "unit": "Milliseconds"}
    spec = comparable_filter("/g", "{ $.ms = * }", item)
    assert comparable_filter("/g", spec["pattern"], spec_transformation(spec)) == spec
