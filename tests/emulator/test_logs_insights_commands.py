"""Logs Insights `parse` and `pattern` through plain boto3 (plus the clustering rule itself)."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from reconciler.emulator.logs_insights_commands import cluster

NOW = int(time.time())
MESSAGES = [
    "user=alice action=login latency=12ms",
    "user=bob action=logout latency=7ms",
    "user alice logged in from 10.0.0.1",
    "user bob logged in from 10.0.0.2",
    "user carol logged in from 10.0.0.3",
    "cache miss for key 4f9a2c1e-77aa",
]


@pytest.fixture
def logs(emu_client):
    client = emu_client("logs")
    client.create_log_group(logGroupName="/app")
    client.create_log_stream(logGroupName="/app", logStreamName="s")
    client.put_log_events(logGroupName="/app", logStreamName="s", logEvents=[
        {"timestamp": (NOW - 600 + i) * 1000, "message": m} for i, m in enumerate(MESSAGES)])
    return client


def run(logs, query: str) -> list[dict]:
    query_id = logs.start_query(logGroupNames=["/app"], queryString=query,
                                startTime=NOW - 3600, endTime=NOW)["queryId"]
    response = logs.get_query_results(queryId=query_id)
    return [{cell["field"]: cell["value"] for cell in row} for row in response["results"]]


def test_parse_glob_captures_into_the_names_after_as(logs):
    rows = run(logs, 'parse @message "user=* action=* " as user, action | fields user, action | sort user asc')
    assert [(r.get("user"), r.get("action")) for r in rows if "user" in r] == [("alice", "login"), ("bob", "logout")]


def test_parse_glob_last_star_takes_the_rest_and_stats_by_parsed_field(logs):
    rows = run(logs, 'parse @message "user * logged in from *" as who, ip | filter ip like /10\\./ '
                     "| stats count(*) as logins by who | sort who asc")
    assert rows == [{"who": "alice", "logins": "1"}, {"who": "bob", "logins": "1"}, {"who": "carol", "logins": "1"}]
    ips = run(logs, 'parse @message "from *" as ip | filter ip like "10.0" | fields ip | sort ip asc')
    assert [r["ip"] for r in ips] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]


def test_parse_regex_with_named_groups(logs):
    rows = run(logs, r"parse @message /latency=(?<latency>\d+)ms/ | filter latency > 10 | fields latency")
    assert [r["latency"] for r in rows] == ["12"]


def test_parse_without_names_is_malformed(logs):
    with pytest.raises(ClientError) as error:
        run(logs, r"parse @message /no groups/")
    assert error.value.response["Error"]["Code"] == "MalformedQueryException"


def test_pattern_groups_messages_with_counts_and_ratios(logs):
    rows = run(logs, "pattern @message")
    assert rows[0] == {"@pattern": "user <*> logged in from <*>", "@sampleCount": "3", "@ratio": "0.5"}
    assert {r["@pattern"] for r in rows} == {
        "user <*> logged in from <*>", "user=<*> action=<*> latency=<*>", "cache miss for key <*>"}
    assert sum(int(r["@sampleCount"]) for r in rows) == len(MESSAGES)


def test_pattern_after_filter_and_with_limit(logs):
    rows = run(logs, "filter @message like /cache/ | pattern")
    assert rows == [{"@pattern": "cache miss for key <*>", "@sampleCount": "1", "@ratio": "1"}]


def test_cluster_rule_keeps_different_first_words_apart():
    assert cluster(["ERROR disk full", "INFO disk full", "ERROR disk full"]) == [
        ("ERROR disk full", 2), ("INFO disk full", 1)]
