"""`obsctl import`: live resources created by hand -> YAML -> plan empty (round trip)."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from tests.helpers import addresses, change, field_diffs, plan_json, summary

STACK = "stack: adopted\ntags: {team: ml}\ntopics:\n  oncall: {}\n"


def make_by_hand(boto):
    """An existing setup, as a team would have made it in the console."""
    sns = boto("sns")
    arn = sns.create_topic(Name="legacy-alerts", Attributes={"DisplayName": "Legacy"})["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="ops@example.com")
    logs = boto("logs")
    logs.create_log_group(logGroupName="/legacy/app", tags={"team": "ml", "tier": "gold"})
    logs.put_retention_policy(logGroupName="/legacy/app", retentionInDays=14)
    logs.put_metric_filter(logGroupName="/legacy/app", filterName="errors", filterPattern="ERROR",
                           metricTransformations=[{"metricNamespace": "Legacy", "metricName": "Errors",
                                                   "metricValue": "1", "defaultValue": 0.0}])
    logs.create_log_group(logGroupName="/other/app")


def test_import_writes_short_yaml_and_adopt_makes_the_plan_empty(obsctl, write_config, boto, tmp_path):
    make_by_hand(boto)
    config = write_config(STACK, name="monitoring/stack.yaml")
    for kind, prefix in (("topics", "legacy-"), ("log_groups", "/legacy/")):
        out = str(tmp_path / "monitoring" / f"imported-{kind}.yaml")
        result = obsctl("import", config, "--kind", kind, "--name-prefix", prefix,
                        "--output", out, "--adopt")
        assert result.exit_code == 0, result.stderr
        assert result.writes > 0  # the ownership tags, nothing else

    topics = YAML(typ="safe").load(Path(tmp_path / "monitoring/imported-topics.yaml").read_text())
    assert topics["topics"] == {"legacy-alerts": {
        "display_name": "Legacy",
        "subscriptions": [{"protocol": "email", "endpoint": "ops@example.com"}]}}
    groups = YAML(typ="safe").load(Path(tmp_path / "monitoring/imported-log_groups.yaml").read_text())
    assert groups["log_groups"] == {"/legacy/app": {
        "retention_days": 14, "tags": {"tier": "gold"},  # `team: ml` comes from the stack
        "metric_filters": {"errors": {"pattern": "ERROR", "metric": {
            "namespace": "Legacy", "name": "Errors", "value": "1", "default_value": 0}}}}}

    doc = plan_json(obsctl, str(tmp_path / "monitoring"), "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["topics/oncall"]  # only the stack's own topic is new
    assert doc["summary"] == summary(create=1)


def test_import_without_adopt_changes_nothing_and_plan_shows_only_ownership(obsctl, write_config, boto, tmp_path):
    make_by_hand(boto)
    config = write_config("stack: adopted\n", name="monitoring/stack.yaml")
    out = str(tmp_path / "monitoring" / "imported.yaml")
    result = obsctl("import", config, "--kind", "topics", "--output", out)
    assert result.exit_code == 0, result.stderr
    assert result.writes == 0
    doc = plan_json(obsctl, str(tmp_path / "monitoring"), "--adopt", "topics/*")
    assert addresses(doc, "update") == ["topics/legacy-alerts"]
    assert field_diffs(change(doc, "topics/legacy-alerts")) == {"tags.obsctl:stack": (None, "adopted")}
    assert doc["summary"] == summary(update=1)


def test_import_to_stdout_with_a_new_stack(obsctl, boto):
    make_by_hand(boto)
    result = obsctl("import", "--kind", "log_groups", "--stack", "fresh", "--name-prefix", "/other/")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Imported by `obsctl import --kind log_groups --name-prefix /other/`")
    assert YAML(typ="safe").load(result.stdout) == {
        "stack": "fresh", "log_groups": {"/other/app": {"retention_days": "never"}}}


def test_import_skips_another_stacks_resources_and_refuses_unknown_kinds(obsctl, boto):
    boto("sns").create_topic(Name="theirs", Tags=[{"Key": "obsctl:stack", "Value": "other"}])
    skipped = obsctl("import", "--kind", "topics", "--stack", "mine")
    assert skipped.exit_code == 0 and "skipped topics/theirs: owned by stack other" in skipped.stderr
    assert YAML(typ="safe").load(skipped.stdout) == {"stack": "mine"}
    unknown = obsctl("import", "--kind", "widgets", "--stack", "mine")
    assert unknown.exit_code == 1 and "Invalid value for '--kind': 'widgets'" in unknown.stderr
    nested = obsctl("import", "--kind", "metric_filters", "--stack", "mine")
    assert nested.exit_code == 1 and "--kind log_groups" in nested.stderr


def test_alarms_of_every_shape_round_trip(obsctl, write_config, boto, tmp_path):
    cloudwatch = boto("cloudwatch")
    topic = boto("sns").create_topic(Name="oncall", Tags=[{"Key": "obsctl:stack", "Value": "adopted"}])
    dims = [{"Name": "VariantName", "Value": "AllTraffic"}, {"Name": "EndpointName", "Value": "churn"}]
    cloudwatch.put_metric_alarm(
        AlarmName="legacy-latency", Namespace="AWS/SageMaker", MetricName="ModelLatency",
        Dimensions=dims, ExtendedStatistic="p90", Period=60, EvaluationPeriods=3, DatapointsToAlarm=2,
        Threshold=500000.0, ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching",
        AlarmActions=[topic["TopicArn"]], Tags=[{"Key": "team", "Value": "ml"}, {"Key": "owner", "Value": "ds"}])
    stat = lambda name: {"Metric": {"Namespace": "AWS/SageMaker", "MetricName": name, "Dimensions": dims},
                         "Period": 300, "Stat": "Sum"}
    cloudwatch.put_metric_alarm(
        AlarmName="legacy-error-rate", EvaluationPeriods=1, Threshold=5.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Metrics=[{"Id": "errors", "MetricStat": stat("Invocation5XXErrors"), "ReturnData": False},
                 {"Id": "invocations", "MetricStat": stat("Invocations"), "ReturnData": False},
                 {"Id": "expr", "Expression": "100 * errors / invocations", "ReturnData": True}])
    cloudwatch.put_metric_alarm(
        AlarmName="legacy-anomaly", EvaluationPeriods=2, ThresholdMetricId="ad1",
        ComparisonOperator="GreaterThanUpperThreshold",
        Metrics=[{"Id": "m1", "MetricStat": stat("Invocations"), "ReturnData": True},
                 {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 3)", "ReturnData": True}])

    config = write_config(STACK, name="monitoring/stack.yaml")
    out = str(tmp_path / "monitoring" / "alarms.yaml")
    result = obsctl("import", config, "--kind", "alarms", "--name-prefix", "legacy-",
                    "--output", out, "--adopt")
    assert result.exit_code == 0, result.stderr

    alarms = YAML(typ="safe").load(Path(out).read_text())["alarms"]
    assert alarms["legacy-latency"] == {
        "metric": {"namespace": "AWS/SageMaker", "name": "ModelLatency",
                   "dimensions": {"EndpointName": "churn", "VariantName": "AllTraffic"},
                   "stat": "p90", "period": 60},
        "when": "> 500000", "evaluation_periods": 3, "datapoints_to_alarm": 2,
        "treat_missing_data": "notBreaching", "actions": {"alarm": ["topic:oncall"]},
        "tags": {"owner": "ds"}}
    assert alarms["legacy-error-rate"]["expression"] == "100 * errors / invocations"
    assert alarms["legacy-error-rate"]["when"] == ">= 5"
    assert alarms["legacy-anomaly"]["anomaly_band"] == {"deviations": 3, "direction": "above"}

    doc = plan_json(obsctl, str(tmp_path / "monitoring"), "--detailed-exitcode")
    assert addresses(doc) == ["topics/oncall"]  # the stack's own topic; nothing imported differs


def test_dashboards_round_trip_as_raw_bodies(obsctl, write_config, boto, tmp_path):
    body = ('{"widgets": [{"type": "text", "x": 0, "y": 0, "width": 24, "height": 2,'
            ' "properties": {"markdown": "# Legacy"}}], "start": "-PT6H"}')
    boto("cloudwatch").put_dashboard(DashboardName="legacy-overview", DashboardBody=body)
    config = write_config("stack: adopted\n", name="monitoring/stack.yaml")
    out = str(tmp_path / "monitoring" / "dashboards.yaml")
    result = obsctl("import", config, "--kind", "dashboards", "--output", out)
    assert result.exit_code == 0, result.stderr
    imported = YAML(typ="safe").load(Path(out).read_text())["dashboards"]
    assert imported["legacy-overview"]["body"]["widgets"][0]["properties"] == {"markdown": "# Legacy"}
    assert obsctl("plan", str(tmp_path / "monitoring"), "--detailed-exitcode").exit_code == 0
