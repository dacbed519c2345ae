"""Logs Insights saved queries through the CLI against the emulator, and the hand-written
DescribeQueryDefinitions pagination."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from reconciler.diagnostics import ObsctlError
from reconciler.kinds.queries import Queries, read_definitions
from tests.helpers import (addresses, assert_converged, assert_no_changes, change, field_diffs,
                           plan_json, summary)

CONFIG = """
stack: test
queries:
  errors-per-hour:
    log_groups: [/ml/churn, /ml/fraud]
    query: |
      filter @message like /(?i)error/
      | stats count(*) as errors by bin(1h)
  overhead:
    log_groups: [/ml/churn]
    query: fields @timestamp, @message | filter @message like /overhead/ | sort @timestamp desc | limit 20
"""


def definitions(boto) -> dict:
    return {d["name"]: d for d in boto("logs").describe_query_definitions()["queryDefinitions"]}


def test_apply_then_plan_is_empty_and_second_apply_writes_nothing(obsctl, write_config, boto):
    path = write_config(CONFIG)
    first = obsctl("apply", path, "--auto-approve")
    assert first.exit_code == 0, first.stdout + first.stderr
    # Per query: the create (idempotent: clientToken) and the write by id that checks it.
    assert first.calls["logs.PutQueryDefinition"] == 4
    assert_converged(obsctl, path)
    saved = definitions(boto)["errors-per-hour"]
    assert saved["queryString"] == "filter @message like /(?i)error/\n| stats count(*) as errors by bin(1h)"
    assert sorted(saved["logGroupNames"]) == ["/ml/churn", "/ml/fraud"]


def test_out_of_band_edit_is_a_field_diff_and_update_keeps_the_id(obsctl, write_config, boto):
    path = write_config(CONFIG)
    obsctl("apply", path, "--auto-approve")
    before = definitions(boto)["overhead"]
    boto("logs").put_query_definition(name="overhead", queryDefinitionId=before["queryDefinitionId"],
                                      queryString="fields @message", logGroupNames=["/ml/other"])
    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["queries/overhead"]
    assert field_diffs(change(doc, "queries/overhead")) == {
        "query": ("fields @message", "fields @timestamp, @message | filter @message like /overhead/"
                                     " | sort @timestamp desc | limit 20"),
        "log_groups": (["/ml/other"], ["/ml/churn"])}
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    after = definitions(boto)["overhead"]
    assert after["queryDefinitionId"] == before["queryDefinitionId"]
    assert_no_changes(obsctl, path)


def test_prune_deletes_only_queries_matching_the_stack_patterns(obsctl, write_config, boto):
    path = write_config(CONFIG + "prune: {queries: [errors-*, overhead]}\n")
    obsctl("apply", path, "--auto-approve")
    boto("logs").put_query_definition(name="someone-elses", queryString="fields @message")
    write_config(CONFIG.split("  overhead:")[0].replace("errors-per-hour", "renamed")
                 + "prune: {queries: [errors-*, renamed]}\n")
    pruned = obsctl("apply", path, "--auto-approve", "--prune", "--allow-mass-delete")
    assert pruned.exit_code == 0, pruned.stdout + pruned.stderr
    assert "- queries/errors-per-hour: deleted" in pruned.stdout
    # `overhead` left the config but no longer matches a prune pattern: not this stack's.
    assert "overhead" not in pruned.stdout
    assert set(definitions(boto)) == {"renamed", "overhead", "someone-elses"}


def test_two_live_queries_with_a_declared_name_stop_the_plan(obsctl, write_config, boto):
    path = write_config(CONFIG)
    for _ in range(2):
        boto("logs").put_query_definition(name="overhead", queryString="fields @message")
    boto("logs").put_query_definition(name="unrelated", queryString="fields @message")
    boto("logs").put_query_definition(name="unrelated", queryString="fields @message")
    plan = obsctl("plan", path)
    assert plan.exit_code == 1
    assert "queries/overhead: 2 saved Logs Insights queries in AWS share this name" in plan.stderr
    assert "unrelated" not in plan.stderr


def test_target_limits_the_plan(obsctl, write_config):
    doc = plan_json(obsctl, write_config(CONFIG), "--target", "queries/overhead")
    assert addresses(doc, "create") == ["queries/overhead"]
    assert doc["summary"] == summary(create=1)


class FakeLogs:
    """DescribeQueryDefinitions pages; the last page echoes its token like a buggy server."""

    def __init__(self, pages):
        self.pages, self.calls = pages, []

    def describe_query_definitions(self, **kwargs):
        self.calls.append(kwargs)
        return self.pages[kwargs.get("nextToken")]


def test_read_definitions_follows_tokens_and_stops_on_a_repeated_one():
    logs = FakeLogs({None: {"queryDefinitions": [{"name": "a"}], "nextToken": "t1"},
                     "t1": {"queryDefinitions": [{"name": "b"}], "nextToken": "t2"},
                     "t2": {"queryDefinitions": [{"name": "c"}], "nextToken": "t2"}})
    assert [d["name"] for d in read_definitions(logs)] == ["a", "b", "c"]
    assert [c.get("nextToken") for c in logs.calls] == [None, "t1", "t2"]
    assert all(c["maxResults"] == 1000 for c in logs.calls)


def test_duplicates_of_an_owned_name_are_refused_without_aws():
    stack = SimpleNamespace(section=lambda name: {}, owns_by_pattern=lambda kind, name: name == "x",
                            prune_patterns=lambda kind: ["x"])
    aws = SimpleNamespace(client=lambda service: FakeLogs({None: {"queryDefinitions": [
        {"name": "x", "queryDefinitionId": "1"}, {"name": "x", "queryDefinitionId": "2"}]}}))
    with pytest.raises(ObsctlError, match=r"ids 1, 2"):
        Queries().read_live(aws, stack)
