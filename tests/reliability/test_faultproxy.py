"""The fault proxy itself, through plain boto3: its faults are ones botocore recognises and
retries, in each protocol obsctl's services speak (CBOR CloudWatch, JSON Logs, query SNS/STS)."""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from botocore.retries.standard import ThrottledRetryableChecker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from faultproxy import Fault, FaultProxy, deny  # noqa: E402

REGION = "us-east-1"
THROTTLE_CODES = set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES)


def _client(service: str, endpoint_url: str, max_attempts: int = 10, mode: str = "standard"):
    """Note botocore's `max_attempts` in `Config(retries=...)` counts *retries*: the request is
    sent up to max_attempts + 1 times (botocore/args.py _compute_retry_max_attempts)."""
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint_url,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"mode": mode, "max_attempts": max_attempts}))


def _single_shot(service: str, endpoint_url: str):
    """A client that sends every request exactly once."""
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint_url,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


def _put_alarm(cloudwatch, name: str) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="ML/Test", MetricName="Latency", Statistic="Average",
        Period=60, EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")


def test_retried_faults_are_invisible_to_the_caller(aws):
    with FaultProxy(aws.endpoint_url, fault_rate=0.3, seed=1) as proxy:
        logs = _client("logs", proxy.endpoint_url)
        cloudwatch = _client("cloudwatch", proxy.endpoint_url)
        for i in range(50):
            logs.create_log_group(logGroupName=f"/fp/group-{i:02d}")
            _put_alarm(cloudwatch, f"fp-alarm-{i:02d}")
    stats = proxy.snapshot()
    assert proxy.injected_total > 0
    assert set(stats["injected"]) <= {"throttle", "500", "reset"}
    assert stats["requests"] == stats["forwarded"] + proxy.injected_total
    assert stats["forwarded"] == 100  # every call reached the emulator exactly once
    direct_logs = _client("logs", aws.endpoint_url)
    groups = [g["logGroupName"] for page in direct_logs.get_paginator("describe_log_groups")
              .paginate(logGroupNamePrefix="/fp/") for g in page["logGroups"]]
    assert len(groups) == 50
    alarms = _client("cloudwatch", aws.endpoint_url).describe_alarms(AlarmNamePrefix="fp-alarm-")
    assert len(alarms["MetricAlarms"]) == 50


def test_without_retries_faults_reach_the_caller(aws):
    failures = []
    with FaultProxy(aws.endpoint_url, fault_rate=0.3, seed=2) as proxy:
        logs = _client("logs", proxy.endpoint_url, max_attempts=1)
        cloudwatch = _client("cloudwatch", proxy.endpoint_url, max_attempts=1)
        for i in range(50):
            for call in (lambda: logs.create_log_group(logGroupName=f"/fp/one-shot-{i:02d}"),
                         lambda: _put_alarm(cloudwatch, f"fp-one-shot-{i:02d}")):
                try:
                    call()
                except (ClientError, ConnectionClosedError) as error:
                    failures.append(error)
    assert failures
    # max_attempts=1 is one retry: a call fails only when both of its attempts were faulted.
    assert 2 * len(failures) <= proxy.injected_total
    for error in failures:
        if isinstance(error, ClientError):
            code = error.response["Error"]["Code"]
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            assert code in THROTTLE_CODES or status >= 500, (code, status)


@pytest.mark.parametrize("service, call, code", [
    # CloudWatch speaks Smithy RPCv2 CBOR (botocore 1.44) and is awsQueryCompatible.
    ("cloudwatch", lambda c: c.describe_alarms(), "Throttling"),
    ("logs", lambda c: c.describe_log_groups(), "ThrottlingException"),  # JSON 1.1
    ("sns", lambda c: c.list_topics(), "Throttling"),  # query
    ("sts", lambda c: c.get_caller_identity(), "Throttling"),  # query
    ("resourcegroupstaggingapi", lambda c: c.get_resources(), "ThrottlingException"),  # CBOR
])
def test_throttle_has_the_protocol_shape_botocore_recognises(aws, service, call, code):
    with FaultProxy(aws.endpoint_url, fault_rate=1.0, kinds=("throttle",), latency=(0, 0)) as proxy:
        with pytest.raises(ClientError) as raised:
            call(_single_shot(service, proxy.endpoint_url))
    error = raised.value.response
    assert error["Error"]["Code"] == code
    assert error["Error"]["Code"] in THROTTLE_CODES
    assert error["Error"]["Message"] == "Rate exceeded"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("kind, check", [
    ("500", lambda e: e.response["ResponseMetadata"]["HTTPStatusCode"] == 500),
    ("503", lambda e: e.response["ResponseMetadata"]["HTTPStatusCode"] == 503),
    ("throttle", lambda e: e.response["Error"]["Code"] == "Throttling"),
    ("reset", lambda e: isinstance(e, ConnectionClosedError)),
])
def test_botocore_retries_each_fault_up_to_max_attempts(aws, kind, check):
    with FaultProxy(aws.endpoint_url, fault_rate=1.0, kinds=(kind,), latency=(0, 0)) as proxy:
        sns = _client("sns", proxy.endpoint_url, max_attempts=2)
        with pytest.raises((ClientError, ConnectionClosedError)) as raised:
            sns.list_topics()
    assert check(raised.value)
    assert proxy.snapshot()["requests"] == 3  # retried: 1 + 2 attempts, all faulted
    assert proxy.snapshot()["forwarded"] == 0


def test_lost_response_executes_upstream(aws):
    once = iter([Fault("lost", forward_first=True)])  # lose only the first response
    with FaultProxy(aws.endpoint_url, fault_rate=0.0, rules=[lambda _: next(once, None)],
                    latency=(0, 0)) as proxy:
        logs = _client("logs", proxy.endpoint_url, max_attempts=1)
        with pytest.raises(ClientError) as raised:
            logs.create_log_group(logGroupName="/fp/lost")
    # The first attempt created the group; its retry is told it exists already.
    assert raised.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    assert proxy.snapshot()["forwarded"] == 2
    assert _client("logs", aws.endpoint_url).describe_log_groups(
        logGroupNamePrefix="/fp/lost")["logGroups"]


def test_faults_for_writes_only_leaves_reads_alone(aws):
    with FaultProxy(aws.endpoint_url, fault_rate=1.0, kinds=("500",), latency=(0, 0),
                    faults_for_writes_only=True) as proxy:
        logs = _single_shot("logs", proxy.endpoint_url)
        cloudwatch = _single_shot("cloudwatch", proxy.endpoint_url)
        for _ in range(5):
            logs.describe_log_groups()
            cloudwatch.describe_alarms()
        with pytest.raises(ClientError):
            logs.create_log_group(logGroupName="/fp/write")
    assert proxy.snapshot()["injected"] == {"500": 1}


def test_deny_rule_fails_one_resource_without_retries(aws):
    rule = deny("PutMetricAlarm", "fp-denied")
    with FaultProxy(aws.endpoint_url, fault_rate=0.0, rules=[rule], latency=(0, 0)) as proxy:
        cloudwatch = _client("cloudwatch", proxy.endpoint_url, max_attempts=5)
        _put_alarm(cloudwatch, "fp-allowed")
        with pytest.raises(ClientError) as raised:
            _put_alarm(cloudwatch, "fp-denied")
    error = raised.value.response
    assert error["Error"]["Code"] == "AccessDenied"
    assert "not authorized to perform: cloudwatch:PutMetricAlarm" in error["Error"]["Message"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert proxy.snapshot()["injected"] == {"deny": 1}  # not retried


def test_same_seed_same_faults(aws):
    def run() -> list[bool]:
        outcomes = []
        with FaultProxy(aws.endpoint_url, fault_rate=0.5, kinds=("500",), seed=7,
                        latency=(0, 0)) as proxy:
            sns = _single_shot("sns", proxy.endpoint_url)
            for _ in range(20):
                try:
                    sns.list_topics()
                    outcomes.append(True)
                except ClientError:
                    outcomes.append(False)
        return outcomes

    first = run()
    assert first == run()
    assert {True, False} <= set(first)  # some requests faulted, some did not


def test_latency_is_added(aws):
    import time

    with FaultProxy(aws.endpoint_url, fault_rate=0.0, latency=(0.2, 0.2)) as proxy:
        sns = _client("sns", proxy.endpoint_url)
        started = time.monotonic()
        sns.list_topics()
        assert time.monotonic() - started >= 0.2


def test_loopback_only_and_stops_cleanly(aws):
    before = threading.active_count()
    proxy = FaultProxy(aws.endpoint_url, fault_rate=0.0).start()
    host, port = proxy.endpoint_url.removeprefix("http://").split(":")
    assert host == "127.0.0.1"
    sns = _client("sns", proxy.endpoint_url)
    sns.list_topics()  # leaves an idle keep-alive connection open in the pool
    proxy.stop()
    assert threading.active_count() <= before
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=1).close()
    proxy.stop()  # idempotent


def test_rejects_bad_configuration():
    with pytest.raises(ValueError):
        FaultProxy("https://example.com")
    with pytest.raises(ValueError):
        FaultProxy("http://127.0.0.1:1", kinds=("bogus",))
    with pytest.raises(ValueError):
        FaultProxy("http://127.0.0.1:1", fault_rate=1.5)


def test_truncate_executes_upstream_and_cuts_the_answer(aws):
    """`truncate`: the request takes effect, its answer arrives cut in half. botocore does not
    retry it: XML (SNS) raises ResponseParserError once; plain JSON (Logs) parses it as empty."""
    from botocore.parsers import ResponseParserError

    with FaultProxy(aws.endpoint_url, fault_rate=1.0, kinds=("truncate",)) as proxy:
        with pytest.raises(ResponseParserError):
            _client("sns", proxy.endpoint_url).create_topic(Name="cut-short")
        assert _client("logs", proxy.endpoint_url).describe_log_groups()["ResponseMetadata"]
    assert proxy.snapshot()["injected"] == {"truncate": 2}
    topics = _client("sns", aws.endpoint_url).list_topics()["Topics"]
    assert [t["TopicArn"].rsplit(":", 1)[1] for t in topics] == ["cut-short"]
