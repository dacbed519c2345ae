"""Lambda monitors without AWS: the Lambda Insights layer rule, the config model, and the
names a monitor may generate."""

from __future__ import annotations

import fnmatch
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from reconciler.config.stack import Stack
from reconciler.kinds.lambda_monitors import LambdaMonitorConfig, LambdaMonitors
from reconciler.kinds.lambda_monitors.insights import has_insights, how_to_enable, is_insights_layer
from reconciler.kinds.lambda_monitors.model import alarm_configs


def config(**fields) -> LambdaMonitorConfig:
    return LambdaMonitorConfig.model_validate({"functions": {"match": "infer-*"},
                                               "error_rate_percent": 1, **fields})


def stack_of(monitors: dict[str, LambdaMonitorConfig]) -> Stack:
    settings = SimpleNamespace(lambda_monitors=monitors, topics={}, region=None, tags={}, prune={})
    return Stack(name="test", config=settings)


@pytest.mark.parametrize("arn, region, insights", [
    ("arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:53", "us-east-1", True),
    ("arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:20", "us-east-1", True),
    ("arn:aws:lambda:eu-west-1:580247275435:layer:LambdaInsightsExtension:38", "eu-west-1", True),
    # Regions AWS publishes from an account of their own.
    ("arn:aws:lambda:af-south-1:012438385374:layer:LambdaInsightsExtension:28", "af-south-1", True),
    ("arn:aws:lambda:af-south-1:580247275435:layer:LambdaInsightsExtension:28", "af-south-1", False),
    ("arn:aws-cn:lambda:cn-north-1:488211338238:layer:LambdaInsightsExtension:29", "cn-north-1", True),
    # Another Region's layer: a function cannot use it.
    ("arn:aws:lambda:eu-west-1:580247275435:layer:LambdaInsightsExtension:38", "us-east-1", False),
    # Look-alikes: someone's own layer of that name, another AWS layer, no version.
    ("arn:aws:lambda:us-east-1:123456789012:layer:LambdaInsightsExtension:1", "us-east-1", False),
    ("arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtensionX:1", "us-east-1", False),
    ("arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension", "us-east-1", False),
    ("arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:0", "us-east-1", False),
    ("xarn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:5", "us-east-1", False),
])
def test_the_insights_layer_is_aws_published_layer_of_the_functions_region(arn, region, insights):
    assert is_insights_layer(arn, region) is insights


def test_a_function_has_insights_when_one_of_its_layers_is_the_extension():
    layer = "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:53"
    assert has_insights({"Layers": [{"Arn": "arn:aws:lambda:us-east-1:1:layer:x:1"}, {"Arn": layer}]},
                        "us-east-1")
    assert not has_insights({"FunctionName": "f"}, "us-east-1")  # no Layers key: none
    assert not has_insights({"Layers": None}, "us-east-1")


def test_how_to_enable_names_the_regions_layer_and_the_role_policy():
    hint = how_to_enable("me-south-1")
    assert "arn:aws:lambda:me-south-1:285320876703:layer:LambdaInsightsExtension:<version>" in hint
    assert "CloudWatchLambdaInsightsExecutionRolePolicy" in hint
    assert "obsctl does not change functions" in hint


def test_each_alarm_only_when_its_threshold_is_set_and_insights_only_with_the_layer():
    full = config(duration_p90_ms=800, throttles=1, concurrent_executions=900,
                  memory_utilization_percent=80, init_duration_ms=3000)
    assert list(alarm_configs(full, "f", insights=True)) == [
        "error-rate", "duration-p90", "throttles", "concurrent-executions", "memory-utilization",
        "init-duration"]
    assert list(alarm_configs(full, "f", insights=False)) == [
        "error-rate", "duration-p90", "throttles", "concurrent-executions"]
    assert list(alarm_configs(config(), "f", insights=True)) == ["error-rate"]


def test_an_evaluation_window_aws_refuses_is_a_validation_error():
    with pytest.raises(ValidationError) as caught:
        config(period=3600, evaluation_periods=200)
    assert "200 x period 3600 s = 720000 s" in str(caught.value)


@pytest.mark.parametrize("name, generated", [
    ("infer-churn-error-rate", True),
    ("infer-churn_v2-error-rate", True),  # '_' in function names
    ("infer-churn-init-duration", True),
    ("etl-nightly-error-rate", False),  # the pattern does not match the function
    ("infer-churn-throttles", False),  # no throttles threshold: never generated
    ("infer-churn", False),
    ("infer-a.b-error-rate", False),  # no function has such a name
])
def test_names_a_lambda_monitor_may_generate_are_left_to_the_plan(name, generated):
    stack = stack_of({"serverless": config(init_duration_ms=3000)})
    assert LambdaMonitors().may_generate(stack, "alarms", name) is generated
    assert LambdaMonitors().may_generate(stack, "dashboards", name) is False


def test_generated_name_globs_cover_exactly_the_shapes_for_cross_stack_checks():
    stack = stack_of({"serverless": config(throttles=1),
                      "listed": config(functions=["scorer_1"], duration_p90_ms=500)})
    globs = LambdaMonitors().generated_name_globs(stack)["alarms"]
    assert sorted(globs) == ["infer-*-error-rate", "infer-*-throttles", "scorer_1-duration-p90",
                             "scorer_1-error-rate"]
    assert fnmatch.fnmatchcase("infer-churn-throttles", "infer-*-throttles")


def test_no_monitors_means_no_discovery():
    assert LambdaMonitors().generate(None, stack_of({}), None) == {}
    assert LambdaMonitors().plan_notes(None, stack_of({})) == []


def test_the_note_names_the_functions_and_counts_them():
    from reconciler.aws import Scope
    from reconciler.kinds.lambda_monitors.kind import _without_insights

    aws = SimpleNamespace(scope=Scope(region="eu-south-1", account_id="123456789012"))
    one = _without_insights(["infer-a"], aws)
    assert one.startswith("1 function without the Lambda Insights extension layer gets no Lambda "
                          "Insights alarms (memory utilization, init duration): infer-a. To enable")
    assert "arn:aws:lambda:eu-south-1:339249233099:layer:LambdaInsightsExtension:<version>" in one
    many = _without_insights([f"f{i:02}" for i in range(25)], aws)
    assert many.startswith("25 functions without the Lambda Insights extension layer get no")
    assert "f18, f19 and 5 more. To enable" in many
