"""Logs TestMetricFilter through plain boto3: which events a filter pattern matches."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

EVENTS = [
    "ERROR Exception in thread main",
    "WARN disk almost full",
    "INFO request ok",
    "ERROR INTERNAL SERVER ERROR",
    json.dumps({"level": "ERROR", "latency": 250, "user": {"id": "u-1"}, "ok": False}),
    json.dumps({"level": "INFO", "latency": 20, "ok": True, "tags": ["a", "b"]}),
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534',
    '10.0.0.2 - bob [10/Oct/2000:13:26:15 -0700] "GET /ok HTTP/1.0" 200 99',
]


@pytest.fixture
def logs(emu_client):
    return emu_client("logs")


def matched(logs, pattern: str) -> list[int]:
    return [m["eventNumber"] for m in logs.test_metric_filter(filterPattern=pattern, logEventMessages=EVENTS)["matches"]]


@pytest.mark.parametrize("pattern,numbers", [
    ("", [1, 2, 3, 4, 5, 6, 7, 8]),
    ("ERROR", [1, 4, 5]),
    ("ERROR Exception", [1]),
    ('"INTERNAL SERVER ERROR"', [4]),
    ("?WARN ?Exception", [1, 2]),
    ("ERROR -Exception", [4, 5]),
    ("%ERROR\\s+INTERNAL%", [4]),
    ('{ $.level = "ERROR" }', [5]),
    ("{ $.latency > 100 }", [5]),
    ("{ $.latency >= 20 && $.ok IS TRUE }", [6]),
    ('{ ($.level = "INFO") || ($.user.id = "u-*") }', [5, 6]),
    ("{ $.user NOT EXISTS }", [6]),
    ('{ $.tags[1] = "b" }', [6]),
    ("[ip, id, user, timestamp, request, status_code = 404, bytes]", [7]),
    ("[..., status_code = 2*, bytes]", [8]),
    ("[ip, ..., bytes > 1000]", [7]),
])
def test_patterns_match_as_the_syntax_reference_describes(logs, pattern, numbers):
    assert matched(logs, pattern) == numbers


def test_space_delimited_pattern_returns_the_extracted_values(logs):
    (match,) = logs.test_metric_filter(filterPattern="[ip, id, user, timestamp, request, status_code = 404, bytes]",
                                       logEventMessages=EVENTS)["matches"]
    assert match["eventMessage"] == EVENTS[6]
    assert match["extractedValues"] == {
        "$ip": "127.0.0.1", "$id": "-", "$user": "frank", "$timestamp": "10/Oct/2000:13:25:15 -0700",
        "$request": "GET /index.html HTTP/1.0", "$status_code": "404", "$bytes": "1534"}


def test_malformed_pattern_is_invalid_parameter(logs):
    with pytest.raises(ClientError) as bad:
        logs.test_metric_filter(filterPattern="{ $.level = ", logEventMessages=["x"])
    assert bad.value.response["Error"]["Code"] == "InvalidParameterException"
