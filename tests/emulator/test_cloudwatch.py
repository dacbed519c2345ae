"""CloudWatch alarms through plain boto3 against the running emulator."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def metric_alarm(name: str, **overrides):
    params = dict(
        AlarmName=name,
        MetricName="Latency",
        Namespace="App",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=3,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
    )
    params.update(overrides)
    return params


def error_code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


@pytest.fixture
def cw(emu_client):
    return emu_client("cloudwatch")


# -- DescribeAlarms --------------------------------------------------------------------------

def test_describe_alarms_pages_with_max_records_and_next_token(cw):
    for i in range(7):
        cw.put_metric_alarm(**metric_alarm(f"a{i:02d}"))
    first = cw.describe_alarms(MaxRecords=3)
    assert [a["AlarmName"] for a in first["MetricAlarms"]] == ["a00", "a01", "a02"]
    seen = [a["AlarmName"] for a in first["MetricAlarms"]]
    token = first["NextToken"]
    while token:
        page = cw.describe_alarms(MaxRecords=3, NextToken=token)
        assert len(page["MetricAlarms"]) <= 3
        seen += [a["AlarmName"] for a in page["MetricAlarms"]]
        token = page.get("NextToken")
    assert seen == [f"a{i:02d}" for i in range(7)]


def test_describe_alarms_default_page_is_50_and_paginator_returns_each_once(cw):
    for i in range(120):
        cw.put_metric_alarm(**metric_alarm(f"alarm-{i:03d}"))
    first = cw.describe_alarms()
    assert len(first["MetricAlarms"]) == 50 and "NextToken" in first
    pages = list(cw.get_paginator("describe_alarms").paginate(PaginationConfig={"PageSize": 100}))
    names = [a["AlarmName"] for p in pages for a in p["MetricAlarms"]]
    assert len(pages) == 2
    assert sorted(names) == [f"alarm-{i:03d}" for i in range(120)]
    assert len(names) == len(set(names))


def test_pagination_survives_deletes_between_pages(cw):
    for i in range(6):
        cw.put_metric_alarm(**metric_alarm(f"d{i}"))
    first = cw.describe_alarms(MaxRecords=2)
    cw.delete_alarms(AlarmNames=["d2"])  # the next page's first alarm disappears
    rest = cw.describe_alarms(MaxRecords=10, NextToken=first["NextToken"])
    assert [a["AlarmName"] for a in rest["MetricAlarms"]] == ["d3", "d4", "d5"]
    assert "NextToken" not in rest


@pytest.mark.parametrize("max_records", [0, 101])
def test_describe_alarms_rejects_max_records_out_of_range(emu_client, max_records):
    raw = emu_client("cloudwatch", parameter_validation=False)  # get past botocore's own check
    with pytest.raises(ClientError) as err:
        raw.describe_alarms(MaxRecords=max_records)
    assert error_code(err) == "ValidationError"


def test_describe_alarms_rejects_bad_token_and_too_many_names(cw):
    with pytest.raises(ClientError) as err:
        cw.describe_alarms(NextToken="not-a-token")
    assert error_code(err) == "InvalidNextToken"
    with pytest.raises(ClientError) as err:
        cw.describe_alarms(AlarmNames=[f"n{i}" for i in range(101)])
    assert error_code(err) == "ValidationError"


def test_describe_alarms_filters_combine(cw):
    topic = "arn:aws:sns:us-east-1:123456789012:pager"
    cw.put_metric_alarm(**metric_alarm("svc-a", AlarmActions=[topic]))
    cw.put_metric_alarm(**metric_alarm("svc-b"))
    cw.put_metric_alarm(**metric_alarm("other", AlarmActions=[topic]))
    cw.set_alarm_state(AlarmName="svc-b", StateValue="ALARM", StateReason="test")

    def names(**kw):
        return sorted(a["AlarmName"] for a in cw.describe_alarms(**kw)["MetricAlarms"])

    assert names(AlarmNamePrefix="svc-") == ["svc-a", "svc-b"]
    assert names(AlarmNamePrefix="svc-", ActionPrefix="arn:aws:sns") == ["svc-a"]
    assert names(StateValue="ALARM") == ["svc-b"]
    assert names(AlarmNamePrefix="svc-", StateValue="INSUFFICIENT_DATA") == ["svc-a"]
    assert names(AlarmNames=["svc-a", "other", "missing"]) == ["other", "svc-a"]


# -- PutMetricAlarm --------------------------------------------------------------------------

def test_new_alarm_starts_insufficient_data_and_reads_back_all_fields(cw):
    params = metric_alarm(
        "full", AlarmDescription="p99 latency", ExtendedStatistic="p99",
        Unit="Milliseconds", DatapointsToAlarm=2, TreatMissingData="notBreaching",
        EvaluateLowSampleCountPercentile="ignore", Dimensions=[{"Name": "Service", "Value": "api"}],
        OKActions=["arn:aws:sns:us-east-1:123456789012:ok"],
    )
    del params["Statistic"]
    cw.put_metric_alarm(**params)
    alarm = cw.describe_alarms(AlarmNames=["full"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm["ExtendedStatistic"] == "p99" and "Statistic" not in alarm
    assert alarm["Unit"] == "Milliseconds"
    assert alarm["DatapointsToAlarm"] == 2
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["EvaluateLowSampleCountPercentile"] == "ignore"
    assert alarm["Threshold"] == 5.0
    assert alarm["Dimensions"] == [{"Name": "Service", "Value": "api"}]
    assert alarm["OKActions"] == ["arn:aws:sns:us-east-1:123456789012:ok"]
    assert alarm["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:full"


def test_unset_optional_fields_are_absent(cw):
    cw.put_metric_alarm(**metric_alarm("plain"))
    alarm = cw.describe_alarms(AlarmNames=["plain"])["MetricAlarms"][0]
    for absent in ("Unit", "TreatMissingData", "DatapointsToAlarm", "ThresholdMetricId", "ExtendedStatistic"):
        assert absent not in alarm
    assert alarm["Dimensions"] == []


def test_update_keeps_tags_and_state(cw):
    cw.put_metric_alarm(**metric_alarm("tagged", Tags=[{"Key": "owner", "Value": "ml"}]))
    arn = cw.describe_alarms(AlarmNames=["tagged"])["MetricAlarms"][0]["AlarmArn"]
    cw.set_alarm_state(AlarmName="tagged", StateValue="ALARM", StateReason="manual")
    cw.put_metric_alarm(**metric_alarm("tagged", Threshold=9, Tags=[{"Key": "owner", "Value": "other"}, {"Key": "x", "Value": "y"}]))
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "owner", "Value": "ml"}]
    alarm = cw.describe_alarms(AlarmNames=["tagged"])["MetricAlarms"][0]
    assert alarm["Threshold"] == 9.0
    assert alarm["StateValue"] == "ALARM"


def test_update_is_a_full_replace(cw):
    cw.put_metric_alarm(**metric_alarm("r", Unit="Seconds", TreatMissingData="breaching"))
    cw.put_metric_alarm(**metric_alarm("r"))
    alarm = cw.describe_alarms(AlarmNames=["r"])["MetricAlarms"][0]
    assert "Unit" not in alarm and "TreatMissingData" not in alarm


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"ComparisonOperator": "GreaterThan"}, "ValidationError"),
        ({"Period": 45}, "ValidationError"),
        ({"Period": 90}, "ValidationError"),
        ({"Unit": "Millis"}, "ValidationError"),
        ({"Statistic": "Mean"}, "ValidationError"),
        ({"ExtendedStatistic": "p99"}, "InvalidParameterCombination"),
        ({"Statistic": None}, "MissingParameter"),
        ({"ExtendedStatistic": "median", "Statistic": None}, "ValidationError"),
        ({"DatapointsToAlarm": 4}, "ValidationError"),
        ({"TreatMissingData": "zero"}, "ValidationError"),
        ({"EvaluateLowSampleCountPercentile": "maybe"}, "ValidationError"),
        ({"Threshold": None}, "MissingParameter"),
        ({"ThresholdMetricId": "ad1"}, "ValidationError"),
        ({"ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"}, "ValidationError"),
        ({"Period": 60, "EvaluationPeriods": 1441}, "ValidationError"),
        ({"AlarmActions": [f"arn:aws:sns:us-east-1:123456789012:t{i}" for i in range(6)]}, "ValidationError"),
    ],
)
def test_put_metric_alarm_validation(cw, overrides, code):
    params = {k: v for k, v in {**metric_alarm("bad"), **overrides}.items() if v is not None}
    with pytest.raises(ClientError) as err:
        cw.put_metric_alarm(**params)
    assert error_code(err) == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert cw.describe_alarms()["MetricAlarms"] == []


@pytest.mark.parametrize("period", [10, 20, 30, 60, 300, 3600])
def test_put_metric_alarm_accepts_valid_periods(cw, period):
    cw.put_metric_alarm(**metric_alarm("ok", Period=period, EvaluationPeriods=1))
    assert cw.describe_alarms()["MetricAlarms"][0]["Period"] == period


def math_metrics(return_m1=False):
    return [
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Errors"}, "Period": 60, "Stat": "Sum"},
         "ReturnData": return_m1},
        {"Id": "m2", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Requests"}, "Period": 60, "Stat": "Sum"},
         "ReturnData": False},
        {"Id": "e1", "Expression": "100 * m1 / m2", "Label": "error rate"},
    ]


def test_metric_math_alarm_round_trips_with_return_data_default(cw):
    cw.put_metric_alarm(AlarmName="math", Metrics=math_metrics(), EvaluationPeriods=2, Threshold=1,
                        ComparisonOperator="GreaterThanThreshold")
    alarm = cw.describe_alarms(AlarmNames=["math"])["MetricAlarms"][0]
    by_id = {m["Id"]: m for m in alarm["Metrics"]}
    assert by_id["e1"]["ReturnData"] is True and by_id["m1"]["ReturnData"] is False
    assert by_id["m1"]["MetricStat"]["Metric"]["MetricName"] == "Errors"
    assert "MetricName" not in alarm and "Period" not in alarm


def test_metric_math_validation(cw):
    base = dict(AlarmName="math", EvaluationPeriods=2, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    with pytest.raises(ClientError) as err:  # two entries return data
        cw.put_metric_alarm(**base, Metrics=math_metrics(return_m1=True))
    assert error_code(err) == "ValidationError"
    with pytest.raises(ClientError) as err:  # Metrics with MetricName
        cw.put_metric_alarm(**base, Metrics=math_metrics(), MetricName="x")
    assert error_code(err) == "InvalidParameterCombination"
    eleven = [{"Id": f"m{i}", "MetricStat": {"Metric": {"Namespace": "A", "MetricName": f"M{i}"}, "Period": 60, "Stat": "Sum"},
               "ReturnData": False} for i in range(11)] + [{"Id": "e1", "Expression": "SUM(METRICS())"}]
    with pytest.raises(ClientError) as err:
        cw.put_metric_alarm(**base, Metrics=eleven)
    assert error_code(err) == "ValidationError"
    with pytest.raises(ClientError) as err:  # bad Id
        cw.put_metric_alarm(**base, Metrics=[{"Id": "E1", "Expression": "1"}])
    assert error_code(err) == "ValidationError"


FLEET = 'SELECT MAX(ModelLatency) FROM SCHEMA("AWS/SageMaker", EndpointName, VariantName)'


def test_metrics_insights_query_alarm_reads_back_verbatim_with_its_period(cw):
    cw.put_metric_alarm(AlarmName="fleet", EvaluationPeriods=3, Threshold=500000,
                        ComparisonOperator="GreaterThanThreshold",
                        Metrics=[{"Id": "q1", "Expression": FLEET, "Period": 60, "ReturnData": True}])
    alarm = cw.describe_alarms(AlarmNames=["fleet"])["MetricAlarms"][0]
    assert alarm["Metrics"] == [{"Id": "q1", "Expression": FLEET, "Period": 60, "ReturnData": True}]
    assert "Period" not in alarm and "MetricName" not in alarm


@pytest.mark.parametrize("metrics, message", [
    # no MetricStat to take the alarm's period from (AWS: "Period must not be null")
    ([{"Id": "q1", "Expression": FLEET, "ReturnData": True}], "Period must not be null"),
    # one Metrics Insights query per alarm (AWS: "Invalid metrics list")
    ([{"Id": "q1", "Expression": FLEET, "Period": 60, "ReturnData": False},
      {"Id": "q2", "Expression": FLEET.replace("MAX", "MIN"), "Period": 60, "ReturnData": False},
      {"Id": "e1", "Expression": "q1 - q2", "ReturnData": True}], "Invalid metrics list"),
    ([{"Id": "q1", "Expression": FLEET, "Period": 90, "ReturnData": True}], "multiple of 60"),
])
def test_metrics_insights_query_alarm_validation(cw, metrics, message):
    with pytest.raises(ClientError) as err:
        cw.put_metric_alarm(AlarmName="fleet", EvaluationPeriods=3, Threshold=1,
                            ComparisonOperator="GreaterThanThreshold", Metrics=metrics)
    assert error_code(err) == "ValidationError" and message in str(err.value)
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_anomaly_detection_alarm_uses_threshold_metric_id(cw):
    metrics = [
        {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Latency"}, "Period": 300, "Stat": "Average"},
         "ReturnData": True},
        {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "Label": "band", "ReturnData": True},
    ]
    cw.put_metric_alarm(AlarmName="anomaly", Metrics=metrics, ThresholdMetricId="ad1", EvaluationPeriods=2,
                        ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold")
    alarm = cw.describe_alarms(AlarmNames=["anomaly"])["MetricAlarms"][0]
    assert alarm["ThresholdMetricId"] == "ad1" and "Threshold" not in alarm
    assert alarm["ComparisonOperator"] == "LessThanLowerOrGreaterThanUpperThreshold"
    with pytest.raises(ClientError) as err:  # ThresholdMetricId must name the band
        cw.put_metric_alarm(AlarmName="anomaly2", Metrics=metrics, ThresholdMetricId="m1", EvaluationPeriods=2,
                            ComparisonOperator="GreaterThanUpperThreshold")
    assert error_code(err) == "ValidationError"
    with pytest.raises(ClientError) as err:  # no Threshold on an anomaly alarm
        cw.put_metric_alarm(AlarmName="anomaly3", Metrics=metrics, ThresholdMetricId="ad1", Threshold=3,
                            EvaluationPeriods=2, ComparisonOperator="GreaterThanUpperThreshold")
    assert error_code(err) == "InvalidParameterCombination"


# -- tags -----------------------------------------------------------------------------------

def test_alarm_tagging_round_trip(cw):
    cw.put_metric_alarm(**metric_alarm("t"))
    arn = cw.describe_alarms(AlarmNames=["t"])["MetricAlarms"][0]["AlarmArn"]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
    cw.untag_resource(ResourceARN=arn, TagKeys=["nothing"])  # no tags yet: still fine on AWS
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    missing = arn.replace(":alarm:t", ":alarm:nope")
    for call in (lambda: cw.list_tags_for_resource(ResourceARN=missing),
                 lambda: cw.tag_resource(ResourceARN=missing, Tags=[{"Key": "a", "Value": "1"}]),
                 lambda: cw.untag_resource(ResourceARN=missing, TagKeys=["a"])):
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err) == "ResourceNotFoundException"


def test_deleted_alarm_does_not_pass_its_tags_on(cw):
    cw.put_metric_alarm(**metric_alarm("again", Tags=[{"Key": "old", "Value": "1"}]))
    cw.delete_alarms(AlarmNames=["again"])
    cw.put_metric_alarm(**metric_alarm("again"))
    arn = cw.describe_alarms(AlarmNames=["again"])["MetricAlarms"][0]["AlarmArn"]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == []


# -- composite alarms -------------------------------------------------------------------------

def test_composite_alarm_lifecycle(cw):
    cw.put_metric_alarm(**metric_alarm("cpu"))
    cw.put_metric_alarm(**metric_alarm("deploying"))
    cw.put_composite_alarm(
        AlarmName="svc", AlarmRule='ALARM(cpu) AND NOT ALARM("deploying")', AlarmDescription="svc health",
        AlarmActions=["arn:aws:sns:us-east-1:123456789012:pager"], ActionsSuppressor="deploying",
        ActionsSuppressorWaitPeriod=60, ActionsSuppressorExtensionPeriod=90, Tags=[{"Key": "team", "Value": "ml"}],
    )
    default = cw.describe_alarms()
    assert [a["AlarmName"] for a in default["MetricAlarms"]] == ["cpu", "deploying"]
    assert default["CompositeAlarms"] == []
    comp = cw.describe_alarms(AlarmTypes=["CompositeAlarm"])
    assert comp["MetricAlarms"] == []
    (alarm,) = comp["CompositeAlarms"]
    assert alarm["AlarmRule"] == 'ALARM(cpu) AND NOT ALARM("deploying")'
    assert alarm["AlarmArn"].endswith(":alarm:svc")
    assert alarm["StateValue"] == "INSUFFICIENT_DATA" and alarm["ActionsEnabled"] is True
    assert alarm["ActionsSuppressor"] == "deploying" and alarm["ActionsSuppressorWaitPeriod"] == 60
    assert alarm["ActionsSuppressorExtensionPeriod"] == 90
    assert cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"] == [{"Key": "team", "Value": "ml"}]

    # update: tags ignored, config replaced
    cw.put_composite_alarm(AlarmName="svc", AlarmRule="ALARM(cpu)", Tags=[{"Key": "team", "Value": "x"}])
    (alarm,) = cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert alarm["AlarmRule"] == "ALARM(cpu)" and alarm["AlarmActions"] == [] and "ActionsSuppressor" not in alarm
    assert cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"] == [{"Key": "team", "Value": "ml"}]

    both = cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    assert len(both["MetricAlarms"]) == 2 and len(both["CompositeAlarms"]) == 1

    with pytest.raises(ClientError) as err:  # a child cannot go while the composite needs it
        cw.delete_alarms(AlarmNames=["cpu"])
    assert error_code(err) == "ValidationError"
    assert "composite alarm(s) depending on it" in err.value.response["Error"]["Message"]
    cw.delete_alarms(AlarmNames=["svc"])
    cw.delete_alarms(AlarmNames=["cpu", "deploying", "never-existed"])
    assert cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])["MetricAlarms"] == []


def test_composite_rule_must_parse_and_reference_existing_alarms(cw):
    cw.put_metric_alarm(**metric_alarm("a"))
    with pytest.raises(ClientError) as err:
        cw.put_composite_alarm(AlarmName="c", AlarmRule="ALARM(a) OR ALARM(ghost)")
    assert error_code(err) == "ValidationError"
    assert "[ghost]" in err.value.response["Error"]["Message"]
    for rule in ("ALARM(a) AND", "ALARM(a) XOR ALARM(a)", "()", " ALARM(a)"):
        with pytest.raises(ClientError) as err:
            cw.put_composite_alarm(AlarmName="c", AlarmRule=rule)
        assert error_code(err) == "ValidationError", rule
    arn = cw.describe_alarms(AlarmNames=["a"])["MetricAlarms"][0]["AlarmArn"]
    cw.put_composite_alarm(AlarmName="c", AlarmRule=f'(ALARM("{arn}") OR OK(a)) AND NOT FALSE')
    assert cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]["AlarmName"] == "c"


def test_delete_alarms_allows_one_composite_per_call(cw):
    cw.put_metric_alarm(**metric_alarm("a"))
    cw.put_composite_alarm(AlarmName="c1", AlarmRule="ALARM(a)")
    cw.put_composite_alarm(AlarmName="c2", AlarmRule="ALARM(a)")
    with pytest.raises(ClientError) as err:
        cw.delete_alarms(AlarmNames=["c1", "c2"])
    assert error_code(err) == "ValidationError"
    assert len(cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]) == 2


def test_children_and_parents_filters(cw):
    cw.put_metric_alarm(**metric_alarm("a"))
    cw.put_metric_alarm(**metric_alarm("b"))
    cw.put_composite_alarm(AlarmName="mid", AlarmRule="ALARM(a)")
    cw.put_composite_alarm(AlarmName="top", AlarmRule="ALARM(mid) OR ALARM(b)")
    kids = cw.describe_alarms(ChildrenOfAlarmName="top")
    assert [a["AlarmName"] for a in kids["MetricAlarms"]] == ["b"]
    assert [a["AlarmName"] for a in kids["CompositeAlarms"]] == ["mid"]
    assert "AlarmRule" not in kids["CompositeAlarms"][0]
    parents = cw.describe_alarms(ParentsOfAlarmName="a")
    assert [a["AlarmName"] for a in parents["CompositeAlarms"]] == ["mid"]


def test_composites_page_after_metric_alarms(cw):
    for n in ("m1", "m2"):
        cw.put_metric_alarm(**metric_alarm(n))
    for n in ("c1", "c2", "c3"):
        cw.put_composite_alarm(AlarmName=n, AlarmRule="ALARM(m1)")
    pages, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        out = cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"], MaxRecords=2, **kw)
        pages.append([a["AlarmName"] for a in out["MetricAlarms"] + out["CompositeAlarms"]])
        token = out.get("NextToken")
        if not token:
            break
    assert pages == [["m1", "m2"], ["c1", "c2"], ["c3"]]
