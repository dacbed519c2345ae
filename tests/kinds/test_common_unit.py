"""The helpers kinds share instead of writing them out: tag writes by the ARN's service,
hints, optional fields, ownership."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from reconciler.diagnostics import did_you_mean
from reconciler.kinds.common import present, sync_tags, topic_problem
from reconciler.ownership import OWNER_TAG, is_owned_by, owner_of


class Recording:
    def __init__(self):
        self.calls = []

    def __getattr__(self, operation):
        return lambda **arguments: self.calls.append((operation, arguments))


def synced(arn: str, before: dict, after: dict) -> tuple[list[str], list]:
    services, client = [], Recording()
    aws = SimpleNamespace(client=lambda service: services.append(service) or client)
    sync_tags(aws, arn, before, after)
    return services, client.calls


ACCOUNT = "123456789012"


@pytest.mark.parametrize("service, arn_key, arn", [
    ("cloudwatch", "ResourceARN", f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:a"),
    ("events", "ResourceARN", f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r"),
    ("sns", "ResourceArn", f"arn:aws:sns:us-east-1:{ACCOUNT}:t"),
])
def test_sync_tags_uses_the_tagging_calls_of_the_arns_service(service, arn_key, arn):
    services, calls = synced(arn, {"keep": "1", "old": "x", "team": "a"}, {"keep": "1", "team": "b"})
    assert services == [service]
    assert calls == [("tag_resource", {arn_key: arn, "Tags": [{"Key": "team", "Value": "b"}]}),
                     ("untag_resource", {arn_key: arn, "TagKeys": ["old"]})]


def test_sync_tags_on_a_log_group_sends_a_tag_map():
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ml/churn"
    services, calls = synced(arn, {"old": "x"}, {"team": "b"})
    assert services == ["logs"]
    assert calls == [("tag_resource", {"resourceArn": arn, "tags": {"team": "b"}}),
                     ("untag_resource", {"resourceArn": arn, "tagKeys": ["old"]})]


def test_sync_tags_on_sagemaker_uses_add_and_delete_tags():
    arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:monitoring-schedule/m"
    services, calls = synced(arn, {"old": "x"}, {"team": "b"})
    assert services == ["sagemaker"]
    assert calls == [("add_tags", {"ResourceArn": arn, "Tags": [{"Key": "team", "Value": "b"}]}),
                     ("delete_tags", {"ResourceArn": arn, "TagKeys": ["old"]})]


def test_sync_tags_without_a_difference_calls_nothing():
    assert synced("not an arn", {"a": "1"}, {"a": "1"}) == ([], [])


def test_did_you_mean_names_the_closest_candidate_with_its_prefix():
    assert did_you_mean("alrts", {"alerts", "pages"}, "topic:") == "did you mean 'topic:alerts'?"
    assert did_you_mean("latency", ["p99_latency", "latency2"]) == "did you mean 'latency2'?"
    assert did_you_mean("zzz", {"alerts"}) is None


def test_a_topic_action_must_name_a_declared_topic():
    assert topic_problem("topic:alerts", {"alerts"}) is None
    assert topic_problem("arn:aws:sns:us-east-1:1:x", set()) is None
    assert topic_problem("topic:alrts", {"alerts"}) == (
        "topic 'alrts' is not defined in `topics`", "did you mean 'topic:alerts'?")


def test_present_leaves_out_only_none():
    assert present({"a": None, "b": 0, "c": "", "d": []}) == {"b": 0, "c": "", "d": []}


def test_ownership_reads_the_owner_tag():
    assert OWNER_TAG == "obsctl:stack"
    assert owner_of(None) is None and owner_of({"team": "x"}) is None
    assert owner_of({OWNER_TAG: "prod"}) == "prod"
    assert is_owned_by({OWNER_TAG: "prod"}, "prod") and not is_owned_by({OWNER_TAG: "dev"}, "prod")
    assert not is_owned_by(None, "prod")
