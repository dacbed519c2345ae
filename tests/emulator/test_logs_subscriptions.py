"""CloudWatch Logs subscription filters through plain boto3 against the emulator."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/cwl"


@pytest.fixture
def logs(emu_client):
    emu_client("kinesis").create_stream(StreamName="logs", ShardCount=1)
    client = emu_client("logs")
    client.create_log_group(logGroupName="/app")
    return client


STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/logs"


def put(logs, name, pattern="", **extra):
    logs.put_subscription_filter(logGroupName="/app", filterName=name, filterPattern=pattern,
                                 destinationArn=STREAM, roleArn=ROLE, **extra)


def described(logs, **kw):
    return logs.describe_subscription_filters(logGroupName="/app", **kw)


def test_distribution_is_stored_and_defaults_to_by_log_stream(logs):
    put(logs, "a", distribution="Random")
    put(logs, "b")
    found = {f["filterName"]: f["distribution"] for f in described(logs)["subscriptionFilters"]}
    assert found == {"a": "Random", "b": "ByLogStream"}


def test_update_at_the_limit_replaces_and_a_third_filter_is_refused(logs):
    put(logs, "a")
    put(logs, "b")
    put(logs, "b", pattern="ERROR", distribution="Random")  # moto raised LimitExceeded here
    [b] = [f for f in described(logs)["subscriptionFilters"] if f["filterName"] == "b"]
    assert (b["filterPattern"], b["distribution"]) == ("ERROR", "Random")
    with pytest.raises(ClientError) as error:
        put(logs, "c")
    assert error.value.response["Error"]["Code"] == "LimitExceededException"


def test_describe_pages_and_filters_by_prefix(logs):
    put(logs, "b-two")
    put(logs, "a-one")
    first = described(logs, limit=1)
    assert [f["filterName"] for f in first["subscriptionFilters"]] == ["a-one"]
    second = described(logs, limit=1, nextToken=first["nextToken"])
    assert [f["filterName"] for f in second["subscriptionFilters"]] == ["b-two"]
    assert "nextToken" not in second
    assert [f["filterName"] for f in described(logs, filterNamePrefix="b")["subscriptionFilters"]] == ["b-two"]


@pytest.mark.parametrize("extra, code", [
    ({"filterName": "bad:name"}, "InvalidParameterException"),
    ({"distribution": "RoundRobin"}, "InvalidParameterException"),
    ({"destinationArn": "arn:aws:kinesis:us-east-1:123456789012:stream/missing"}, "InvalidParameterException"),
    ({"logGroupName": "/missing"}, "ResourceNotFoundException"),
])
def test_invalid_requests(logs, extra, code):
    request = {"logGroupName": "/app", "filterName": "f", "filterPattern": "", "destinationArn": STREAM,
               "roleArn": ROLE, **extra}
    with pytest.raises(ClientError) as error:
        logs.put_subscription_filter(**request)
    assert error.value.response["Error"]["Code"] == code


def test_lambda_destination_without_role_reads_back_without_role(emu_client, logs):
    iam = emu_client("iam")
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    function = emu_client("lambda").create_function(
        FunctionName="ship", Runtime="python3.12", Role=role, Handler="h.h",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})["FunctionArn"]
    logs.put_subscription_filter(logGroupName="/app", filterName="f", filterPattern="",
                                 destinationArn=function)
    [found] = described(logs)["subscriptionFilters"]
    assert found["destinationArn"] == function and "roleArn" not in found
