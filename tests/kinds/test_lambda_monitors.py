"""Lambda monitors through the CLI against the emulator: discovery of live Lambda functions at
plan time (glob or list), generated alarms with their origin, Lambda Insights alarms only for
functions with the extension layer and a plan note naming the others, functions appearing and
disappearing, composite alarms naming generated alarms."""

from __future__ import annotations

import io
import json
import zipfile

import jsonschema
import pytest

from tests.helpers import (addresses, apply_ok, assert_converged, assert_no_changes, change,
                           field_diffs, plan_json)
from tests.render.test_renderers import PLAN_SCHEMA

ROLE = "arn:aws:iam::123456789012:role/lambda"
INSIGHTS_X86 = "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:53"
INSIGHTS_ARM = "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:20"
CONFIG = """
stack: test
topics:
  ml-oncall: {}
lambda_monitors:
  serverless:
    functions: {match: "infer-*"}
    error_rate_percent: 1
    duration_p90_ms: 800
    throttles: 1
    concurrent_executions: 900
    memory_utilization_percent: 80
    actions: {alarm: [topic:ml-oncall]}
"""
ORIGIN = "lambda_monitors.serverless[{}]"
BASIC = ("error-rate", "duration-p90", "throttles", "concurrent-executions")


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture
def lam(boto):
    """Plain boto3 Lambda; moto wants the execution role to exist and a zip of code."""
    boto("iam").create_role(RoleName="lambda", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    return boto("lambda")


def create_function(lam, name: str, layers=(), **extra) -> None:
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE,
                        Handler="handler.handler", Code={"ZipFile": _code()},
                        Layers=list(layers), **extra)


def seed(lam) -> None:
    create_function(lam, "infer-churn", layers=[INSIGHTS_X86])
    create_function(lam, "infer-fraud")
    create_function(lam, "etl-nightly", layers=[INSIGHTS_X86])


def alarms_of(function: str, suffixes=BASIC) -> set[str]:
    return {f"{function}-{suffix}" for suffix in suffixes}


def generated(doc: dict) -> set[tuple[str, str, str]]:
    return {(c["action"], c["name"], c["origin"]) for c in doc["changes"] if c["kind"] == "alarms"}


def test_glob_discovers_functions_insights_alarms_only_with_the_layer_and_apply_converges(
        obsctl, write_config, boto, lam):
    seed(lam)
    path = write_config(CONFIG)
    plan = obsctl("plan", path, "--format", "json")
    assert plan.exit_code == 0, plan.stderr
    doc = json.loads(plan.stdout)
    expected = {("create", name, ORIGIN.format("infer-churn"))
                for name in alarms_of("infer-churn", (*BASIC, "memory-utilization"))}
    expected |= {("create", name, ORIGIN.format("infer-fraud")) for name in alarms_of("infer-fraud")}
    assert generated(doc) == expected  # nothing for etl-nightly, no Insights alarm for infer-fraud
    assert plan.calls["lambda.ListFunctions"] == 1

    apply_ok(obsctl, path)
    assert_converged(obsctl, path)

    cloudwatch = boto("cloudwatch")
    def alarm(name):
        return cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    error_rate = alarm("infer-churn-error-rate")
    assert {q["Id"]: q.get("Expression") or q["MetricStat"]["Metric"]["MetricName"]
            for q in error_rate["Metrics"]} == {"expr": "100 * errors / invocations",
                                                "errors": "Errors", "invocations": "Invocations"}
    assert {q["MetricStat"]["Stat"] for q in error_rate["Metrics"] if "MetricStat" in q} == {"Sum"}
    assert all(q["MetricStat"]["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": "infer-churn"}]
               for q in error_rate["Metrics"] if "MetricStat" in q)
    duration = alarm("infer-churn-duration-p90")
    assert (duration["Namespace"], duration["MetricName"], duration["ExtendedStatistic"],
            duration["Threshold"]) == ("AWS/Lambda", "Duration", "p90", 800.0)
    throttles = alarm("infer-fraud-throttles")
    assert (throttles["Statistic"], throttles["ComparisonOperator"], throttles["Threshold"]) == (
        "Sum", "GreaterThanOrEqualToThreshold", 1.0)
    concurrency = alarm("infer-fraud-concurrent-executions")
    assert (concurrency["MetricName"], concurrency["Statistic"], concurrency["Threshold"]) == (
        "ConcurrentExecutions", "Maximum", 900.0)
    memory = alarm("infer-churn-memory-utilization")
    assert (memory["Namespace"], memory["MetricName"], memory["Statistic"], memory["Dimensions"]) == (
        "LambdaInsights", "memory_utilization", "Maximum",
        [{"Name": "function_name", "Value": "infer-churn"}])
    assert memory["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:ml-oncall"]
    assert memory["TreatMissingData"] == "notBreaching"


def test_the_plan_notes_functions_without_the_insights_layer_in_every_format(
        obsctl, write_config, lam):
    seed(lam)
    create_function(lam, "infer-arm", layers=[INSIGHTS_ARM], Architectures=["arm64"])
    # Look-alikes that are not AWS's published extension: another account, another layer.
    create_function(lam, "infer-z-alike")
    lam.publish_layer_version(LayerName="LambdaInsightsExtension", Content={"ZipFile": _code()})
    own = lam.list_layer_versions(LayerName="LambdaInsightsExtension")["LayerVersions"][0]
    lam.update_function_configuration(FunctionName="infer-z-alike",
                                      Layers=[own["LayerVersionArn"]])
    path = write_config(CONFIG)

    doc = plan_json(obsctl, path)
    [note] = doc["notes"]
    assert (note["stack"], note["source"], note["subjects"]) == (
        "test", "lambda_monitors.serverless", ["infer-fraud", "infer-z-alike"])
    assert "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension" in note["message"]
    assert "CloudWatchLambdaInsightsExecutionRolePolicy" in note["message"]
    assert "infer-arm-memory-utilization" in {c["name"] for c in doc["changes"]}
    assert "infer-z-alike-memory-utilization" not in {c["name"] for c in doc["changes"]}
    jsonschema.validate(doc, PLAN_SCHEMA)
    # Notes come with the kinds they are about: a plan of topics only has none.
    assert plan_json(obsctl, path, "--target", "topics/ml-oncall")["notes"] == []

    text = obsctl("plan", path)
    assert text.exit_code == 0
    [line] = [line for line in text.stdout.splitlines() if line.startswith("Note:")]
    assert line.startswith("Note: lambda_monitors.serverless: 2 functions without the Lambda "
                           "Insights extension layer get no Lambda Insights alarms (memory "
                           "utilization, init duration): infer-fraud, infer-z-alike. To enable"), line
    markdown = obsctl("plan", path, "--format", "markdown").stdout
    assert "ℹ️ **Note:** `lambda_monitors.serverless`: 2 functions without the Lambda Insights" in markdown

    # A note is no change: after apply the plan is empty and still says it.
    apply_ok(obsctl, path)
    empty = obsctl("plan", path, "--detailed-exitcode")
    assert empty.exit_code == 0, empty.stdout
    assert empty.stdout.splitlines()[0] == "No changes. AWS matches the configuration."
    assert empty.stdout.splitlines()[1].startswith("Note: lambda_monitors.serverless: 2 functions")
    assert len(empty.stdout.splitlines()) == 2


def test_no_note_when_no_insights_threshold_is_set(obsctl, write_config, lam):
    seed(lam)
    doc = plan_json(obsctl, write_config(CONFIG.replace("    memory_utilization_percent: 80\n", "")))
    assert doc["notes"] == []
    assert not any(c["name"].endswith("-memory-utilization") for c in doc["changes"])


def test_a_list_monitors_the_functions_that_exist(obsctl, write_config, lam):
    seed(lam)
    path = write_config(CONFIG.replace('{match: "infer-*"}', "[infer-churn, etl-nightly, infer-gone]")
                        .replace("    throttles: 1\n    concurrent_executions: 900\n", ""))
    doc = plan_json(obsctl, path)
    assert generated(doc) == {
        ("create", name, ORIGIN.format(function))
        for function in ("infer-churn", "etl-nightly")
        for name in alarms_of(function, ("error-rate", "duration-p90", "memory-utilization"))}
    # the name no function has is said, not silent: most often a typo
    [missing] = [n for n in doc["notes"] if "listed function" in n["message"]]
    assert missing["subjects"] == ["infer-gone"]
    assert missing["message"] == ("1 listed function does not exist here: infer-gone; it gets "
                                  "alarms once it exists")


def test_a_glob_that_matches_no_function_is_a_note(obsctl, write_config, lam):
    seed(lam)
    path = write_config(CONFIG.replace('{match: "infer-*"}', '{match: "infre-*"}'))
    result = obsctl("plan", path)
    assert result.exit_code == 0, result.stderr
    assert "Note: lambda_monitors.serverless: no function matches 'infre-*' here: nothing is " \
           "monitored yet" in result.stdout


def test_a_changed_threshold_is_an_update_of_every_function(obsctl, write_config, lam):
    seed(lam)
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    path = write_config(CONFIG.replace("duration_p90_ms: 800", "duration_p90_ms: 1200"))
    doc = plan_json(obsctl, path)
    assert addresses(doc) == ["alarms/infer-churn-duration-p90", "alarms/infer-fraud-duration-p90"]
    updated = change(doc, "alarms/infer-fraud-duration-p90")
    assert (updated["action"], updated["origin"], updated["cause"]) == (
        "update", ORIGIN.format("infer-fraud"), "config")
    assert field_diffs(updated)["threshold"] == (800, 1200)
    apply_ok(obsctl, path)
    assert_no_changes(obsctl, path)


def test_a_new_function_adds_its_alarms_a_deleted_ones_go_only_with_prune(obsctl, write_config, lam, boto):
    seed(lam)
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    create_function(lam, "infer-new", layers=[INSIGHTS_X86])
    lam.delete_function(FunctionName="infer-fraud")

    doc = plan_json(obsctl, path)
    assert generated(doc) == {("create", name, ORIGIN.format("infer-new"))
                              for name in alarms_of("infer-new", (*BASIC, "memory-utilization"))}
    assert sorted(doc["stacks"][0]["unmanaged_owned"]) == sorted(
        f"alarms/{name}" for name in alarms_of("infer-fraud"))
    pruned = plan_json(obsctl, path, "--prune")
    assert {(c["action"], c["name"]) for c in pruned["changes"] if c["action"] == "delete"} == {
        ("delete", name) for name in alarms_of("infer-fraud")}

    apply_ok(obsctl, path, "--prune")
    assert_no_changes(obsctl, path, "--prune")
    assert boto("cloudwatch").describe_alarms(AlarmNamePrefix="infer-fraud")["MetricAlarms"] == []


def test_adding_the_insights_layer_adds_the_insights_alarm_and_ends_the_note(obsctl, write_config, lam):
    seed(lam)
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    lam.update_function_configuration(FunctionName="infer-fraud", Layers=[INSIGHTS_X86])
    doc = plan_json(obsctl, path)
    assert addresses(doc) == ["alarms/infer-fraud-memory-utilization"]
    assert doc["notes"] == []


COMPOSITE = CONFIG + """
composite_alarms:
  serverless-down:
    rule: ALARM(infer-churn-error-rate) OR ALARM(infer-churn-memory-utilization)
    actions: {alarm: [topic:ml-oncall]}
dashboards:
  serverless:
    widgets:
      - {type: alarm_status, title: Inference, alarms: [infer-fraud-throttles]}
"""


def test_a_composite_and_a_widget_may_name_generated_alarms(obsctl, write_config, lam, boto):
    seed(lam)
    path = write_config(COMPOSITE)
    assert obsctl("validate", path).exit_code == 0
    apply_ok(obsctl, path)
    composite = boto("cloudwatch").describe_alarms(
        AlarmNames=["serverless-down"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert "ALARM(infer-churn-memory-utilization)" in composite[0]["AlarmRule"]
    assert_converged(obsctl, path)


def test_a_generated_name_that_is_not_there_is_a_plan_error_and_nothing_is_written(
        obsctl, write_config, lam):
    seed(lam)
    # infer-fraud has no Insights layer: it gets no memory alarm; infer-gone does not exist.
    path = write_config(COMPOSITE.replace("ALARM(infer-churn-memory-utilization)",
                                          "ALARM(infer-fraud-memory-utilization)")
                        .replace("[infer-fraud-throttles]", "[infer-gone-throttles]"))
    assert obsctl("validate", path).exit_code == 0  # functions are discovered at plan time
    result = obsctl("apply", path, "--auto-approve")
    assert result.exit_code == 1, result.stdout
    assert result.writes == 0
    assert "Traceback" not in result.stderr
    assert "infer-fraud-memory-utilization" in result.stderr
    assert "infer-gone-throttles" in result.stderr
    assert "nothing was changed" in result.stderr


def test_a_name_no_lambda_monitor_could_generate_is_a_validation_error(obsctl, write_config):
    path = write_config(COMPOSITE.replace("ALARM(infer-churn-error-rate)", "ALARM(infer-churn-init-duration)")
                        .replace("[infer-fraud-throttles]", "[etl-nightly-throttles]"))
    result = obsctl("validate", path)
    assert result.exit_code == 1
    assert "infer-churn-init-duration" in result.stderr  # init_duration_ms is not set
    assert "etl-nightly-throttles" in result.stderr  # etl-nightly does not match infer-*


def test_validate_and_a_stack_without_monitors_make_no_lambda_calls(obsctl, write_config, lam):
    seed(lam)
    assert sum(obsctl("validate", write_config(CONFIG)).calls.values()) == 0
    plain = obsctl("plan", write_config("stack: test\ntopics: {ml-oncall: {}}\n", "plain.yaml"))
    assert plain.exit_code == 0
    assert plain.calls["lambda.ListFunctions"] == 0


def test_two_monitors_matching_one_function_is_a_clear_refusal(obsctl, write_config, lam):
    seed(lam)
    path = write_config(CONFIG + """
  churn:
    functions: [infer-churn]
    error_rate_percent: 5
""")
    result = obsctl("plan", path)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert ("alarms/infer-churn-error-rate is generated by both lambda_monitors.serverless[infer-churn] "
            "and lambda_monitors.churn[infer-churn]") in result.stderr
