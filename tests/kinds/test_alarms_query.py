"""Metrics Insights query alarms (`query:`) through the CLI against the emulator: create,
converge, change, drift, import, refusals."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from tests.helpers import (addresses, assert_converged, assert_no_changes, change, field_diffs,
                           plan_json, summary)

FLEET = 'SELECT MAX(ModelLatency) FROM SCHEMA("AWS/SageMaker", EndpointName, VariantName)'
CONFIG = f"""
stack: test
alarms:
  fleet-max-latency:
    query: {FLEET}
    period: 60
    when: "> 500000"
    evaluation_periods: 3
"""


def describe(boto, name: str = "fleet-max-latency") -> dict:
    return boto("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def test_apply_creates_one_query_with_its_period_and_the_plan_is_then_empty(obsctl, write_config, boto):
    path = write_config(CONFIG)
    doc = plan_json(obsctl, path)
    created = change(doc, "alarms/fleet-max-latency")
    assert created["action"] == "create" and created["after"]["query"] == FLEET

    result = obsctl("apply", path, "--auto-approve")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.calls["cloudwatch.PutMetricAlarm"] == 1
    alarm = describe(boto)
    assert alarm["Metrics"] == [{"Id": "q1", "Expression": FLEET, "Period": 60, "ReturnData": True}]
    assert alarm["EvaluationPeriods"] == 3 and alarm["Threshold"] == 500000.0
    assert_converged(obsctl, path)


def test_a_multi_line_query_is_sent_and_compared_as_written(obsctl, write_config, boto):
    grouped = ('SELECT MAX(ModelLatency)\n  FROM SCHEMA("AWS/SageMaker", EndpointName, VariantName)\n'
               "  GROUP BY EndpointName\n  ORDER BY MAX() DESC\n")
    block = "".join(f"      {line}\n" for line in grouped.splitlines())
    path = write_config(CONFIG.replace(f"query: {FLEET}\n", f"query: |\n{block}"))
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    assert describe(boto)["Metrics"][0]["Expression"] == grouped
    assert_no_changes(obsctl, path)


def test_a_changed_query_is_an_update_of_the_query_field(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    changed = FLEET.replace("MAX(ModelLatency)", "AVG(ModelLatency)")
    path = write_config(CONFIG.replace(FLEET, changed))
    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["alarms/fleet-max-latency"]
    update = change(doc, "alarms/fleet-max-latency")
    assert update["action"] == "update" and update["cause"] == "config"
    assert field_diffs(update) == {"query": (FLEET, changed)}

    text = obsctl("plan", path)
    assert "query" in text.stdout and "AVG(ModelLatency)" in text.stdout
    markdown = obsctl("plan", path, "--format", "markdown")
    assert markdown.exit_code == 0 and "AVG(ModelLatency)" in markdown.stdout

    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    assert describe(boto)["Metrics"][0]["Expression"] == changed
    assert_no_changes(obsctl, path)


def test_out_of_band_query_and_period_changes_are_drift_that_apply_repairs(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    edited = FLEET + " WHERE EndpointName != 'canary'"
    boto("cloudwatch").put_metric_alarm(  # as the console writes it: its own Id, no ReturnData
        AlarmName="fleet-max-latency", EvaluationPeriods=3, Threshold=500000.0,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[{"Id": "m1", "Expression": edited, "Period": 300}])
    doc = plan_json(obsctl, path)
    drift = change(doc, "alarms/fleet-max-latency")
    assert drift["action"] == "update" and drift["cause"] == "drift"
    assert field_diffs(drift) == {"query": (edited, FLEET), "period": (300, 60)}

    fixed = obsctl("apply", path, "--auto-approve")
    assert fixed.exit_code == 0, fixed.stderr
    assert fixed.calls["cloudwatch.PutMetricAlarm"] == 1
    assert describe(boto)["Metrics"] == [{"Id": "q1", "Expression": FLEET, "Period": 60,
                                          "ReturnData": True}]
    assert_no_changes(obsctl, path)


def test_the_same_query_under_another_id_is_no_change(obsctl, write_config, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    boto("cloudwatch").put_metric_alarm(
        AlarmName="fleet-max-latency", EvaluationPeriods=3, Threshold=500000.0,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[{"Id": "fleet", "Expression": FLEET, "Period": 60}])
    assert_no_changes(obsctl, path)


def test_a_live_query_alarm_imports_as_query_and_round_trips(obsctl, write_config, boto, tmp_path):
    boto("cloudwatch").put_metric_alarm(
        AlarmName="legacy-fleet-latency", AlarmDescription="max latency of every endpoint",
        EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=500000.0,
        ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching",
        Metrics=[{"Id": "m1", "Expression": FLEET, "Period": 60, "ReturnData": True}])
    config = write_config("stack: adopted\n", name="monitoring/stack.yaml")
    out = str(tmp_path / "monitoring" / "alarms.yaml")
    result = obsctl("import", config, "--kind", "alarms", "--name-prefix", "legacy-",
                    "--output", out, "--adopt")
    assert result.exit_code == 0, result.stderr

    alarms = YAML(typ="safe").load(Path(out).read_text())["alarms"]
    assert alarms == {"legacy-fleet-latency": {
        "description": "max latency of every endpoint", "query": FLEET, "period": 60,
        "when": "> 500000", "evaluation_periods": 3, "datapoints_to_alarm": 2,
        "treat_missing_data": "notBreaching"}}
    doc = plan_json(obsctl, str(tmp_path / "monitoring"), "--detailed-exitcode")
    assert doc["summary"] == summary()


def test_metric_math_over_a_query_is_refused_by_import_in_one_line(obsctl, write_config, boto,
                                                                   tmp_path):
    boto("cloudwatch").put_metric_alarm(  # AWS takes it; `alarms` has no form for it
        AlarmName="legacy-fleet-seconds", EvaluationPeriods=1, Threshold=0.5,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[{"Id": "q1", "Expression": FLEET, "Period": 60, "ReturnData": False},
                 {"Id": "e1", "Expression": "q1 / 1000000", "ReturnData": True}])
    config = write_config("stack: adopted\n")
    result = obsctl("import", config, "--kind", "alarms", "--adopt",
                    "--output", str(tmp_path / "alarms.yaml"))
    assert result.exit_code == 1 and result.writes == 0
    assert "Traceback" not in result.stderr
    assert ("alarms/legacy-fleet-seconds cannot be written as an `alarms` entry: its metric math "
            "reads the result of another expression or Metrics Insights query (q1)") in result.stderr


def test_an_invalid_query_is_reported_in_the_query_and_nothing_is_written(obsctl, write_config, boto):
    path = write_config("""
        stack: test
        alarms:
          fleet-max-latency:
            query: SELECT MAX(ModelLatency) FROM "AWS/SageMaker" WHERE EndpointName = prod
            period: 60
            when: "> 500000"
          per-endpoint:
            query: SELECT MAX(ModelLatency) FROM "AWS/SageMaker" GROUP BY EndpointName
            period: 60
            when: "> 500000"
          no-period:
            query: SELECT MAX(ModelLatency) FROM "AWS/SageMaker"
            when: "> 500000"
        """)
    for command in (("validate", path), ("plan", path), ("apply", path, "--auto-approve")):
        result = obsctl(*command)
        assert result.exit_code == 1, result.stdout
        assert result.writes == 0
    result = obsctl("validate", path)
    assert (f"{path}:5:5: error: alarms.fleet-max-latency.query: the label value prod at column "
            "68 is not in single quotes: write 'prod'") in result.stderr, result.stderr
    assert f"{path}:9:5: error: alarms.per-endpoint.query: a query with GROUP BY needs ORDER BY" in result.stderr
    assert f"{path}:12:3: error: alarms.no-period: a `query` alarm needs `period`" in result.stderr
    assert boto("cloudwatch").describe_alarms()["MetricAlarms"] == []


def test_a_hostile_query_is_escaped_in_every_plan_format(obsctl, write_config):
    # In YAML: a ``` run, a literal backslash-n and </details>, an ESC; all inside quotes, so
    # the query is valid Metrics Insights and reaches the plan.
    hostile = r'''"SELECT MAX(\"x```\\n</details>\e[31m|\") FROM \"AWS/SageMaker\" WHERE a = '<b>|`'"'''
    path = write_config(CONFIG.replace(f"query: {FLEET}", f"query: {hostile}"))
    for flags in ((), ("--format", "markdown"), ("--format", "json")):
        result = obsctl("plan", path, *flags)
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout and "\\u001b" in result.stdout
    markdown = obsctl("plan", path, "--format", "markdown").stdout
    assert "````diff" in markdown  # a fence longer than the query's own ``` run
    assert "\n</details>" not in markdown.split("````diff")[1].split("````")[0]


def test_a_stack_wide_unit_default_leaves_query_alarms_alone(obsctl, write_config, boto, tmp_path):
    """`defaults.alarm.unit` is for metric alarms: a query alarm has no unit, and the default
    must not make it invalid, neither on load nor when import folds the defaults out."""
    stack = "stack: test\ndefaults:\n  alarm: {unit: Microseconds, treat_missing_data: notBreaching}\n"
    path = write_config(stack + CONFIG.removeprefix("\nstack: test\n") + """
  churn-latency:
    metric: {namespace: AWS/SageMaker, name: ModelLatency, stat: p90, period: 60}
    when: "> 500000"
""")
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    assert "Unit" not in describe(boto)
    assert describe(boto, "churn-latency")["Unit"] == "Microseconds"
    assert describe(boto)["TreatMissingData"] == "notBreaching"  # the other defaults apply
    assert_converged(obsctl, path)

    config = write_config(stack, name="imported/stack.yaml")
    out = str(tmp_path / "imported" / "alarms.yaml")
    result = obsctl("import", config, "--kind", "alarms", "--name-prefix", "fleet-",
                    "--output", out)
    assert result.exit_code == 0, result.stderr
    imported = YAML(typ="safe").load(Path(out).read_text())["alarms"]["fleet-max-latency"]
    assert "unit" not in imported and "treat_missing_data" not in imported
