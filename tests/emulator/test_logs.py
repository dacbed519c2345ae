"""CloudWatch Logs through plain boto3 against the running emulator."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653]


@pytest.fixture
def logs(emu_client):
    return emu_client("logs")


def error_code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


def transform(name="Errors", namespace="App"):
    return [{"metricName": name, "metricNamespace": namespace, "metricValue": "1"}]


def groups(logs, **kw):
    return {g["logGroupName"]: g for g in logs.describe_log_groups(**kw)["logGroups"]}


# -- KMS ------------------------------------------------------------------------------------

def test_associate_and_disassociate_kms_key(logs):
    logs.create_log_group(logGroupName="/app/secure")
    assert "kmsKeyId" not in groups(logs)["/app/secure"]
    logs.associate_kms_key(logGroupName="/app/secure", kmsKeyId=KEY)
    assert groups(logs)["/app/secure"]["kmsKeyId"] == KEY
    logs.disassociate_kms_key(logGroupName="/app/secure")
    assert "kmsKeyId" not in groups(logs)["/app/secure"]


def test_create_log_group_with_kms_key(logs):
    logs.create_log_group(logGroupName="/app/enc", kmsKeyId=KEY)
    assert groups(logs)["/app/enc"]["kmsKeyId"] == KEY
    with pytest.raises(ClientError) as err:
        logs.create_log_group(logGroupName="/app/enc2", kmsKeyId="1234abcd-12ab")
    assert error_code(err) == "InvalidParameterException"
    assert "/app/enc2" not in groups(logs)


@pytest.mark.parametrize("bad", ["1234abcd-12ab-34cd-56ef-1234567890ab", "alias/my-key",
                                 "arn:aws:kms:us-east-1:123456789012:alias/my-key",
                                 "arn:aws:s3:::bucket"])
def test_associate_kms_key_requires_a_key_arn(logs, bad):
    logs.create_log_group(logGroupName="/app/x")
    with pytest.raises(ClientError) as err:
        logs.associate_kms_key(logGroupName="/app/x", kmsKeyId=bad)
    assert error_code(err) == "InvalidParameterException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_kms_on_missing_group_and_by_arn(logs):
    with pytest.raises(ClientError) as err:
        logs.associate_kms_key(logGroupName="/nope", kmsKeyId=KEY)
    assert error_code(err) == "ResourceNotFoundException"
    logs.create_log_group(logGroupName="/app/arn")
    arn = groups(logs)["/app/arn"]["logGroupArn"]
    logs.associate_kms_key(resourceIdentifier=arn, kmsKeyId=KEY.replace("us-east-1", "us-gov-west-1").replace("arn:aws:", "arn:aws-us-gov:"))
    assert groups(logs)["/app/arn"]["kmsKeyId"].startswith("arn:aws-us-gov:kms:")
    logs.disassociate_kms_key(resourceIdentifier=arn)
    assert "kmsKeyId" not in groups(logs)["/app/arn"]


# -- retention ------------------------------------------------------------------------------

@pytest.mark.parametrize("days", [0, -1, 2, 99999, 366])
def test_put_retention_policy_rejects_unsupported_values(logs, days):
    logs.create_log_group(logGroupName="/r")
    with pytest.raises(ClientError) as err:
        logs.put_retention_policy(logGroupName="/r", retentionInDays=days)
    assert error_code(err) == "InvalidParameterException"
    assert "retentionInDays" in err.value.response["Error"]["Message"]
    assert "retentionInDays" not in groups(logs)["/r"]


def test_put_retention_policy_accepts_every_supported_value(logs):
    logs.create_log_group(logGroupName="/r")
    for days in RETENTION_DAYS:
        logs.put_retention_policy(logGroupName="/r", retentionInDays=days)
        assert groups(logs)["/r"]["retentionInDays"] == days
    logs.delete_retention_policy(logGroupName="/r")
    assert "retentionInDays" not in groups(logs)["/r"]


# -- metric filters -------------------------------------------------------------------------

def test_put_metric_filter_replaces_same_name(logs):
    logs.create_log_group(logGroupName="/g")
    logs.put_metric_filter(logGroupName="/g", filterName="errors", filterPattern="ERROR", metricTransformations=transform())
    logs.put_metric_filter(logGroupName="/g", filterName="errors", filterPattern="FATAL",
                           metricTransformations=transform("Fatal"))
    (f,) = logs.describe_metric_filters(logGroupName="/g")["metricFilters"]
    assert f["filterPattern"] == "FATAL"
    assert f["metricTransformations"][0]["metricName"] == "Fatal"
    assert isinstance(f["creationTime"], int)
    assert groups(logs)["/g"]["metricFilterCount"] == 1


def test_put_metric_filter_on_missing_group(logs):
    with pytest.raises(ClientError) as err:
        logs.put_metric_filter(logGroupName="/nope", filterName="f", filterPattern="", metricTransformations=transform())
    assert error_code(err) == "ResourceNotFoundException"


def test_describe_metric_filters_pages_and_terminates(logs):
    for g in ("/a", "/b"):
        logs.create_log_group(logGroupName=g)
        for i in range(6):
            logs.put_metric_filter(logGroupName=g, filterName=f"f{i}", filterPattern="", metricTransformations=transform(f"M{i}"))
    # hand-written token loop, without a log group
    seen, token, calls = [], None, 0
    while True:
        kw = {"nextToken": token} if token else {}
        page = logs.describe_metric_filters(limit=5, **kw)
        calls += 1
        assert len(page["metricFilters"]) <= 5
        seen += [(f["logGroupName"], f["filterName"]) for f in page["metricFilters"]]
        token = page.get("nextToken")
        if not token:
            break
        assert calls < 10
    assert seen == [(g, f"f{i}") for g in ("/a", "/b") for i in range(6)]
    # botocore's paginator, with a log group
    pages = list(logs.get_paginator("describe_metric_filters").paginate(logGroupName="/b", PaginationConfig={"PageSize": 4}))
    assert [len(p["metricFilters"]) for p in pages] == [4, 2]


def test_describe_metric_filters_filters(logs):
    logs.create_log_group(logGroupName="/a")
    logs.create_log_group(logGroupName="/b")
    logs.put_metric_filter(logGroupName="/a", filterName="err-1", filterPattern="", metricTransformations=transform("E", "X"))
    logs.put_metric_filter(logGroupName="/a", filterName="warn", filterPattern="", metricTransformations=transform("W", "X"))
    logs.put_metric_filter(logGroupName="/b", filterName="err-2", filterPattern="", metricTransformations=transform("E", "Y"))

    def names(**kw):
        return [f["filterName"] for f in logs.describe_metric_filters(**kw)["metricFilters"]]

    assert names(logGroupName="/a", filterNamePrefix="err") == ["err-1"]
    assert names(metricName="E", metricNamespace="X") == ["err-1"]
    assert names(metricName="E", metricNamespace="Y") == ["err-2"]
    with pytest.raises(ClientError) as err:
        logs.describe_metric_filters(metricName="E")
    assert error_code(err) == "InvalidParameterException"
    with pytest.raises(ClientError) as err:
        logs.describe_metric_filters(logGroupName="/missing")
    assert error_code(err) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        logs.describe_metric_filters(limit=51)
    assert error_code(err) == "InvalidParameterException"


def test_deleting_a_group_drops_its_filters_and_tags(logs):
    logs.create_log_group(logGroupName="/g", tags={"team": "ml"})
    logs.put_metric_filter(logGroupName="/g", filterName="f", filterPattern="", metricTransformations=transform())
    logs.delete_log_group(logGroupName="/g")
    logs.create_log_group(logGroupName="/g")
    assert logs.describe_metric_filters()["metricFilters"] == []
    assert logs.list_tags_log_group(logGroupName="/g")["tags"] == {}


def test_delete_metric_filter(logs):
    logs.create_log_group(logGroupName="/g")
    logs.put_metric_filter(logGroupName="/g", filterName="f", filterPattern="", metricTransformations=transform())
    logs.delete_metric_filter(logGroupName="/g", filterName="f")
    assert logs.describe_metric_filters(logGroupName="/g")["metricFilters"] == []
    with pytest.raises(ClientError) as err:
        logs.delete_metric_filter(logGroupName="/g", filterName="f")
    assert error_code(err) == "ResourceNotFoundException"


# -- DescribeLogGroups ----------------------------------------------------------------------

def test_describe_log_groups_pages(logs):
    for i in range(60):
        logs.create_log_group(logGroupName=f"/svc/{i:02d}")
    first = logs.describe_log_groups()
    assert len(first["logGroups"]) == 50 and first["nextToken"]
    second = logs.describe_log_groups(nextToken=first["nextToken"])
    assert len(second["logGroups"]) == 10 and "nextToken" not in second
    pages = list(logs.get_paginator("describe_log_groups").paginate(PaginationConfig={"PageSize": 7}))
    names = [g["logGroupName"] for p in pages for g in p["logGroups"]]
    assert names == [f"/svc/{i:02d}" for i in range(60)]
    with pytest.raises(ClientError) as err:
        logs.describe_log_groups(limit=51)
    assert error_code(err) == "InvalidParameterException"
    with pytest.raises(ClientError) as err:
        logs.describe_log_groups(nextToken="garbage")
    assert error_code(err) == "InvalidParameterException"


def test_describe_log_groups_token_survives_deleting_the_next_group(logs):
    for i in range(5):
        logs.create_log_group(logGroupName=f"/d/{i}")
    first = logs.describe_log_groups(limit=2)
    logs.delete_log_group(logGroupName="/d/2")
    rest = logs.describe_log_groups(limit=10, nextToken=first["nextToken"])
    assert [g["logGroupName"] for g in rest["logGroups"]] == ["/d/3", "/d/4"]


def test_describe_log_groups_prefix_pattern_and_shape(logs):
    logs.create_log_group(logGroupName="/app/DataLogs")
    logs.create_log_group(logGroupName="/other/datalogs")
    assert list(groups(logs, logGroupNamePrefix="/app")) == ["/app/DataLogs"]
    assert list(groups(logs, logGroupNamePattern="DataLogs")) == ["/app/DataLogs"]
    with pytest.raises(ClientError) as err:
        logs.describe_log_groups(logGroupNamePrefix="/app", logGroupNamePattern="Data")
    assert error_code(err) == "InvalidParameterException"
    g = groups(logs)["/app/DataLogs"]
    assert g["arn"] == g["logGroupArn"] + ":*"
    assert g["logGroupClass"] == "STANDARD" and "retentionInDays" not in g


def test_log_group_name_rules(logs):
    for bad in ("aws/mine", "has space"):
        with pytest.raises(ClientError) as err:
            logs.create_log_group(logGroupName=bad)
        assert error_code(err) == "InvalidParameterException"


# -- query definitions ----------------------------------------------------------------------

def test_query_definition_lifecycle(logs):
    qid = logs.put_query_definition(name="errors/by-host", queryString="fields @message | filter @message like /ERROR/",
                                    logGroupNames=["/a", "/b"])["queryDefinitionId"]
    (d,) = logs.describe_query_definitions()["queryDefinitions"]
    assert d["queryDefinitionId"] == qid and d["name"] == "errors/by-host"
    assert d["logGroupNames"] == ["/a", "/b"] and isinstance(d["lastModified"], int)
    assert logs.put_query_definition(queryDefinitionId=qid, name="errors/by-host", queryString="stats count()")[
        "queryDefinitionId"] == qid
    (d,) = logs.describe_query_definitions()["queryDefinitions"]
    assert d["queryString"] == "stats count()" and d["logGroupNames"] == []
    assert logs.delete_query_definition(queryDefinitionId=qid)["success"] is True
    assert logs.describe_query_definitions()["queryDefinitions"] == []
    with pytest.raises(ClientError) as err:
        logs.delete_query_definition(queryDefinitionId=qid)
    assert error_code(err) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        logs.put_query_definition(queryDefinitionId="00000000-0000-0000-0000-000000000000", name="x", queryString="y")
    assert error_code(err) == "ResourceNotFoundException"


def test_query_definitions_prefix_and_paging(logs):
    ids = {logs.put_query_definition(name=f"q{i:02d}", queryString="fields @timestamp")["queryDefinitionId"] for i in range(12)}
    logs.put_query_definition(name="other", queryString="fields @timestamp")
    assert len(logs.describe_query_definitions(queryDefinitionNamePrefix="q")["queryDefinitions"]) == 12
    seen, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        page = logs.describe_query_definitions(queryDefinitionNamePrefix="q", maxResults=5, **kw)
        seen += [d["queryDefinitionId"] for d in page["queryDefinitions"]]
        token = page.get("nextToken")
        if not token:
            break
    assert len(seen) == 12 and set(seen) == ids
    raw_limit = 1001
    with pytest.raises(ClientError) as err:
        logs.describe_query_definitions(maxResults=raw_limit)
    assert error_code(err) in ("InvalidParameterException", "ParamValidationError")


def test_query_definitions_are_reset(emu, logs):
    logs.put_query_definition(name="q", queryString="fields @timestamp")
    emu.reset()
    assert logs.describe_query_definitions()["queryDefinitions"] == []


def test_query_definition_client_token_makes_a_repeated_create_idempotent(logs):
    """Two creates with one clientToken and the same parameters: one definition, one id."""
    token = "obsctl-" + "a" * 40
    request = dict(name="errors", queryString="fields @message", logGroupNames=["/a"],
                   clientToken=token)
    first = logs.put_query_definition(**request)["queryDefinitionId"]
    assert logs.put_query_definition(**request)["queryDefinitionId"] == first
    (d,) = logs.describe_query_definitions()["queryDefinitions"]
    assert d["queryDefinitionId"] == first
    # Other tokens (botocore's random one when none is given) create again.
    assert logs.put_query_definition(name="errors", queryString="fields @message",
                                     logGroupNames=["/a"])["queryDefinitionId"] != first
    assert len(logs.describe_query_definitions()["queryDefinitions"]) == 2


def test_query_definition_client_token_with_other_parameters_is_refused(logs):
    token = "b" * 36
    logs.put_query_definition(name="errors", queryString="fields @message", clientToken=token)
    with pytest.raises(ClientError) as err:
        logs.put_query_definition(name="errors", queryString="stats count()", clientToken=token)
    assert error_code(err) == "InvalidParameterException"
    assert len(logs.describe_query_definitions()["queryDefinitions"]) == 1


def test_query_definition_client_token_replays_after_a_delete(logs):
    """The token answers its first request again, without creating: as AWS's idempotency
    tokens do within their lifetime."""
    token = "c" * 36
    qid = logs.put_query_definition(name="q", queryString="fields @message",
                                    clientToken=token)["queryDefinitionId"]
    logs.delete_query_definition(queryDefinitionId=qid)
    assert logs.put_query_definition(name="q", queryString="fields @message",
                                     clientToken=token)["queryDefinitionId"] == qid
    assert logs.describe_query_definitions()["queryDefinitions"] == []


def test_query_definition_client_token_shape_is_checked(emu_client):
    logs = emu_client("logs", parameter_validation=False)
    for bad in ("short", "has a space" + "x" * 40):
        with pytest.raises(ClientError) as err:
            logs.put_query_definition(name="q", queryString="fields @message", clientToken=bad)
        assert error_code(err) == "InvalidParameterException"
