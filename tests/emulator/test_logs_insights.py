"""Logs Insights StartQuery / GetQueryResults through plain boto3 against the emulator."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

NOW = int(time.time())
EVENTS = [  # (seconds ago, message)
    (7200, "ERROR cold start"), (600, "INFO overhead 12ms"), (300, "ERROR model failed"),
    (120, json.dumps({"level": "warn", "latency": 250, "request": {"id": "r-1"}})),
    (60, "INFO overhead 3ms"),
]


@pytest.fixture
def logs(emu_client):
    client = emu_client("logs")
    client.create_log_group(logGroupName="/app")
    client.create_log_stream(logGroupName="/app", logStreamName="s")
    client.put_log_events(logGroupName="/app", logStreamName="s", logEvents=[
        {"timestamp": (NOW - ago) * 1000, "message": message} for ago, message in EVENTS])
    return client


def run(logs, query: str, since: int = 3 * 3600, **extra) -> list[dict]:
    query_id = logs.start_query(logGroupNames=["/app"], queryString=query,
                                startTime=NOW - since, endTime=NOW, **extra)["queryId"]
    response = logs.get_query_results(queryId=query_id)
    assert response["status"] == "Complete"
    return [{cell["field"]: cell["value"] for cell in row} for row in response["results"]]


def test_filter_sort_limit_and_aws_timestamp_format(logs):
    rows = run(logs, "fields @timestamp, @message | filter @message like /overhead/ "
                     "| sort @timestamp desc | limit 20")
    assert [r["@message"] for r in rows] == ["INFO overhead 3ms", "INFO overhead 12ms"]
    assert list(rows[0]) == ["@timestamp", "@message", "@ptr"]
    assert len(rows[0]["@timestamp"]) == len("2024-05-01 12:00:00.000")


def test_time_window_excludes_older_events(logs):
    assert len(run(logs, "filter @message like 'ERROR'", since=3600)) == 1
    assert len(run(logs, "filter @message like 'ERROR'")) == 2


def test_stats_count_by_bin(logs):
    rows = run(logs, "filter @message like /(?i)error/ | stats count(*) as errors by bin(1h)")
    assert all(list(r) == ["bin(1h)", "errors"] for r in rows)
    assert sum(int(r["errors"]) for r in rows) == 2
    assert all(r["bin(1h)"].endswith(":00:00.000") for r in rows)


def test_boolean_conditions_and_json_fields(logs):
    assert [r["latency"] for r in run(logs, "fields latency, request.id | filter latency > 200")] == ["250"]
    rows = run(logs, "fields request.id | filter level = 'warn' and not @message like /ERROR/")
    assert [r["request.id"] for r in rows] == ["r-1"]
    messages = run(logs, "filter @message like /cold/ or (@message like /3ms/) | display @message")
    assert [r["@message"] for r in messages] == ["INFO overhead 3ms", "ERROR cold start"]


def test_stats_aggregates_by_field(logs):
    rows = run(logs, "filter @message like /overhead/ | stats count(*) as n, max(@timestamp) by @logStream")
    assert rows == [{"@logStream": "s", "n": "2", "max(@timestamp)": str((NOW - 60) * 1000)}]


def test_start_query_limit_and_statistics(logs):
    query_id = logs.start_query(logGroupNames=["/app"], queryString="fields @message",
                                startTime=NOW - 3 * 3600, endTime=NOW, limit=2)["queryId"]
    response = logs.get_query_results(queryId=query_id)
    assert len(response["results"]) == 2
    assert response["statistics"]["recordsScanned"] == 5


@pytest.mark.parametrize("query, message", [
    ("dedup @message", "does not support the command 'dedup'"),
    ("stats pct(latency, 90)", "does not support the stats function 'pct'"),
    ("filter @message like /(unclosed/", "invalid regular expression"),
    ("fields @message |", "empty command"),
])
def test_unsupported_or_malformed_queries_are_rejected(logs, query, message):
    with pytest.raises(ClientError) as error:
        run(logs, query)
    assert error.value.response["Error"]["Code"] == "MalformedQueryException"
    assert message in error.value.response["Error"]["Message"]


def test_unknown_log_group_and_query_id(logs):
    with pytest.raises(ClientError) as error:
        logs.start_query(logGroupNames=["/nope"], queryString="fields @message", startTime=0, endTime=NOW)
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as error:
        logs.get_query_results(queryId="00000000-0000-0000-0000-000000000000")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
