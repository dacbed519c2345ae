"""CloudWatch metric alarms through the CLI against the emulator."""

from __future__ import annotations

from tests.helpers import (addresses, assert_converged, assert_no_changes, change, field_diffs,
                           plan_json, summary, without_marker)

ACCOUNT_TOPIC = "arn:aws:sns:us-east-1:{account}:ml-oncall"
CONFIG = """
stack: test
tags: {team: ml}
defaults:
  alarm: {treat_missing_data: notBreaching}
topics:
  ml-oncall: {}
alarms:
  churn-latency-p90:
    description: p90 model latency above 500 ms
    metric:
      namespace: AWS/SageMaker
      name: ModelLatency
      dimensions: {VariantName: AllTraffic, EndpointName: churn}
      stat: p90
      period: 60
    when: "> 500000"
    evaluation_periods: 3
    actions:
      alarm: [topic:ml-oncall, "arn:aws:sns:us-east-1:123456789012:a-first"]
      ok: [topic:ml-oncall]
  churn-error-rate:
    expression: "100 * errors / invocations"
    metrics:
      invocations: {namespace: AWS/SageMaker, name: Invocations, dimensions: {EndpointName: churn}, stat: Sum}
      errors: {namespace: AWS/SageMaker, name: Invocation5XXErrors, dimensions: {EndpointName: churn}, stat: Sum}
    period: 300
    comparison: ">="
    threshold: 5
  churn-invocations-anomaly:
    metric: {namespace: AWS/SageMaker, name: Invocations, dimensions: {EndpointName: churn}, stat: Sum, period: 300}
    anomaly_band: {deviations: 2, direction: below}
    treat_missing_data: breaching
"""
NAMES = ("churn-latency-p90", "churn-error-rate", "churn-invocations-anomaly")


def describe(boto, name: str) -> dict:
    return boto("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def tags_of(boto, name: str) -> dict:
    cloudwatch = boto("cloudwatch")
    arn = describe(boto, name)["AlarmArn"]
    return {t["Key"]: t["Value"] for t in cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"]}


def test_apply_then_plan_is_empty_and_second_apply_writes_nothing(obsctl, write_config, boto):
    path = write_config(CONFIG)
    first = obsctl("apply", path, "--auto-approve")
    assert first.exit_code == 0, first.stdout + first.stderr
    for name in NAMES:
        assert f"+ alarms/{name}: created" in first.stdout
    assert first.calls["cloudwatch.PutMetricAlarm"] == 3

    assert_converged(obsctl, path)

    latency = describe(boto, "churn-latency-p90")
    assert latency["ExtendedStatistic"] == "p90" and latency["Threshold"] == 500000.0
    assert latency["TreatMissingData"] == "notBreaching"  # from defaults.alarm
    assert describe(boto, "churn-invocations-anomaly")["ThresholdMetricId"] == "ad1"
    assert without_marker(tags_of(boto, "churn-error-rate")) == {"obsctl:stack": "test", "team": "ml"}


def test_plan_reads_alarms_in_pages_and_tags_in_bulk(aws, obsctl, write_config):
    alarms = "\n".join(
        f"  a{i:03}: {{metric: {{namespace: ML, name: M{i}, stat: Sum, period: 60}}, when: '> {i}'}}"
        for i in range(150))
    path = write_config(f"stack: test\nalarms:\n{alarms}\n")
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    plan = obsctl("plan", path, "--detailed-exitcode")
    assert plan.exit_code == 0, plan.stdout
    assert plan.calls["cloudwatch.DescribeAlarms"] == 2  # one page per 100 alarms
    assert plan.calls["cloudwatch.ListTagsForResource"] == 0


def test_equivalent_alarm_written_the_aws_way_shows_no_changes(obsctl, write_config, boto):
    """Rewrite an applied alarm out of band with everything AWS may normalize differently:
    dimension and action order, 5 vs 5.0, DatapointsToAlarm / ActionsEnabled left to their
    defaults, a low-sample-count setting the config does not manage."""
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    account = describe(boto, "churn-latency-p90")["AlarmArn"].split(":")[4]
    boto("cloudwatch").put_metric_alarm(
        AlarmName="churn-latency-p90", AlarmDescription="p90 model latency above 500 ms",
        Namespace="AWS/SageMaker", MetricName="ModelLatency", ExtendedStatistic="p90",
        Dimensions=[{"Name": "EndpointName", "Value": "churn"},
                    {"Name": "VariantName", "Value": "AllTraffic"}],
        Period=60, EvaluationPeriods=3, Threshold=500000.0, ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching", EvaluateLowSampleCountPercentile="evaluate",
        AlarmActions=["arn:aws:sns:us-east-1:123456789012:a-first", ACCOUNT_TOPIC.format(account=account)],
        OKActions=[ACCOUNT_TOPIC.format(account=account)])
    assert_no_changes(obsctl, path)


def test_out_of_band_change_shows_as_a_field_diff_and_apply_repairs_it(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    cloudwatch = boto("cloudwatch")
    alarm = describe(boto, "churn-latency-p90")
    cloudwatch.put_metric_alarm(
        AlarmName=alarm["AlarmName"], AlarmDescription=alarm["AlarmDescription"],
        Namespace=alarm["Namespace"], MetricName=alarm["MetricName"],
        ExtendedStatistic="p99", Dimensions=alarm["Dimensions"], Period=alarm["Period"],
        EvaluationPeriods=3, DatapointsToAlarm=3, Threshold=750000.0,
        ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching",
        AlarmActions=alarm["AlarmActions"], OKActions=alarm["OKActions"])

    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["alarms/churn-latency-p90"]
    latency = change(doc, "alarms/churn-latency-p90")
    assert latency["action"] == "update" and latency["cause"] == "drift"
    assert field_diffs(latency) == {"threshold": (750000, 500000),
                                    "extended_statistic": ("p99", "p90")}
    assert doc["summary"] == summary(update=1)

    fixed = obsctl("apply", path, "--auto-approve")
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert fixed.calls["cloudwatch.PutMetricAlarm"] == 1
    assert_no_changes(obsctl, path)
    assert without_marker(tags_of(boto, "churn-latency-p90")) == {"obsctl:stack": "test", "team": "ml"}


def test_math_metric_drift_names_the_metric_field(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    alarm = describe(boto, "churn-error-rate")
    metrics = alarm["Metrics"]
    for query in metrics:
        if query["Id"] == "errors":
            query["MetricStat"]["Stat"] = "Average"
    boto("cloudwatch").put_metric_alarm(
        AlarmName="churn-error-rate", Metrics=metrics, EvaluationPeriods=1, Threshold=5.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching")

    doc = plan_json(obsctl, path)
    assert addresses(doc) == ["alarms/churn-error-rate"]
    assert field_diffs(change(doc, "alarms/churn-error-rate")) == {
        "metrics[0].stat": ("Average", "Sum")}
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    assert_no_changes(obsctl, path)


def test_tag_drift_is_repaired_without_rewriting_the_alarm(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    arn = describe(boto, "churn-error-rate")["AlarmArn"]
    boto("cloudwatch").tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "x"},
                                                           {"Key": "extra", "Value": "1"}])
    doc = plan_json(obsctl, path)
    assert addresses(doc) == ["alarms/churn-error-rate"]
    assert field_diffs(change(doc, "alarms/churn-error-rate")) == {
        "tags.team": ("x", "ml"), "tags.extra": ("1", None)}

    fixed = obsctl("apply", path, "--auto-approve")
    assert fixed.exit_code == 0, fixed.stderr
    assert fixed.calls["cloudwatch.PutMetricAlarm"] == 0
    assert without_marker(tags_of(boto, "churn-error-rate")) == {"obsctl:stack": "test", "team": "ml"}
    assert_no_changes(obsctl, path)


def test_target_limits_the_plan_to_one_alarm(aws, obsctl, write_config):
    path = write_config(CONFIG)
    doc = plan_json(obsctl, path, "--target", "alarms/churn-error-rate")
    assert addresses(doc, "create") == ["alarms/churn-error-rate"]
    assert doc["summary"] == summary(create=1)


def test_prune_deletes_an_alarm_removed_from_the_config(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    boto("cloudwatch").put_metric_alarm(  # someone else's alarm: never touched
        AlarmName="manual", Namespace="ML", MetricName="M", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    smaller = write_config(CONFIG.replace("  churn-error-rate:", "  churn-error-rate-disabled:"),
                           name="smaller.yaml")
    doc = plan_json(obsctl, smaller, "--prune")
    assert addresses(doc, "delete") == ["alarms/churn-error-rate"]
    assert addresses(doc, "create") == ["alarms/churn-error-rate-disabled"]
    assert doc["summary"] == summary(create=1, delete=1)  # `manual` is not this stack's

    assert obsctl("apply", smaller, "--prune", "--auto-approve").exit_code == 0
    names = {a["AlarmName"] for a in boto("cloudwatch").describe_alarms()["MetricAlarms"]}
    assert names == {"churn-latency-p90", "churn-error-rate-disabled", "churn-invocations-anomaly",
                     "manual"}


def test_invalid_alarm_is_reported_at_the_field(obsctl, write_config):
    path = write_config("""
        stack: test
        alarms:
          churn-latency-p90:
            metric: {namespace: AWS/SageMaker, name: ModelLatency, stat: p90, period: 60}
            when: "> 500000"
            evaluation_periods: 3
            datapoints_to_alarm: 4
        """)
    result = obsctl("validate", path)
    assert result.exit_code == 1
    assert f"{path}:8:5: error:" in result.stderr, result.stderr
    assert "datapoints_to_alarm: 4 is more than evaluation_periods (3)" in result.stderr


def test_dangling_topic_is_reported_at_the_reference(obsctl, write_config, boto):
    path = write_config("""
        stack: test
        topics:
          ml-oncall: {}
        alarms:
          churn-latency-p90:
            metric: {namespace: AWS/SageMaker, name: ModelLatency, stat: p90, period: 60}
            when: "> 500000"
            actions:
              ok: [topic:ml-oncall]
              alarm: [topic:ml-oncall, topic:ml-oncal]
        """)
    result = obsctl("validate", path)
    assert result.exit_code == 1
    assert f"{path}:11:32: error: topic 'ml-oncal' is not defined in `topics`" in result.stderr, result.stderr
    assert "did you mean 'topic:ml-oncall'?" in result.stderr
    assert obsctl("apply", path, "--auto-approve").exit_code == 1
    assert boto("cloudwatch").describe_alarms()["MetricAlarms"] == []
