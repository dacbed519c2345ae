"""Endpoint monitors without AWS: the config model, the expansion into other kinds'
comparable forms, and discovery against a stub client."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from reconciler.aws import Scope
from reconciler.config.stack import Stack
from reconciler.diagnostics import ObsctlError
from reconciler.kinds.alarms import AlarmConfig
from reconciler.kinds.alarms import desired_spec as alarm_spec
from reconciler.kinds.endpoint_monitors import (EndpointMonitorConfig, EndpointMonitors, Variant,
                                                _merge, alarm_configs, expand, list_endpoint_names,
                                                log_group_prefix)

SCOPE = Scope(region="us-east-1", account_id="123456789012")
POLICY_ARN = ("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1a2b:resource/sagemaker/"
              "endpoint/prod-churn/variant/AllTraffic:policyName/step-out")
BASE = {"endpoints": {"match": "prod-*"}, "latency_p90_ms": 500}


def config(**fields) -> EndpointMonitorConfig:
    return EndpointMonitorConfig.model_validate({**BASE, **fields})


def stack_of(monitors: dict[str, EndpointMonitorConfig]) -> Stack:
    settings = SimpleNamespace(endpoint_monitors=monitors, topics={"ml-oncall": {}}, region=None,
                               tags={"team": "ml"}, prune={})
    return Stack(name="test", config=settings)


def rejection(**fields) -> str:
    with pytest.raises(ValidationError) as caught:
        config(**fields)
    return str(caught.value)


# --- the config model --------------------------------------------------------------------

@pytest.mark.parametrize("fields, message", [
    ({"endpoints": {"match": "prod_*"}}, "may hold letters, digits, '-'"),
    ({"endpoints": []}, "at least 1 item"),
    ({"endpoints": ["prod churn"]}, "should match pattern"),
    ({"latency_p90_ms": 0}, "greater than 0"),
    ({"error_rate_percent": 101}, "less than or equal to 100"),
    ({"memory_utilization_percent": -5}, "greater than 0"),
    ({"log_retention_days": 45}, "not accepted by CloudWatch Logs"),
    ({"period": 45}, "not 10, 20, 30 or a multiple of 60"),
    ({"period": 3600, "evaluation_periods": 200}, "CloudWatch allows at most"),
    ({"latency_p90_ms": None}, "monitors nothing"),
    ({"dashboard_prefix": "ops"}, "dashboard_prefix needs dashboard: true"),
    ({"dashboard": True, "dashboard_prefix": "ops dash"}, "should match pattern"),
    ({"actions": {"alarm": ["sns-topic"]}}, "should match pattern"),
    ({"latency_p90_ms": "500"}, "valid number"),
])
def test_config_rejects(fields, message):
    assert message in rejection(**fields)


def test_cpu_threshold_may_exceed_100_percent_because_it_sums_cores():
    assert config(cpu_utilization_percent=350).cpu_utilization_percent == 350


def test_endpoints_as_a_list_of_names():
    assert config(endpoints=["prod-churn", "prod-fraud"]).endpoints == ["prod-churn", "prod-fraud"]


def test_check_resolves_topic_references_and_rejects_auto_scaling_on_band_alarms():
    monitors = {"ok": config(actions={"alarm": ["topic:ml-oncall"]}),
                "typo": config(actions={"alarm": ["topic:ml-oncal"]}),
                "band": config(invocations_anomaly={"deviations": 2},
                               actions={"alarm": [POLICY_ARN]})}
    messages = [d.message for d in EndpointMonitors().check(stack_of(monitors))]
    assert messages == ["topic 'ml-oncal' is not defined in `topics`",
                        "anomaly_band alarms cannot have Auto Scaling actions (CloudWatch rejects them)"]


# --- log group discovery -------------------------------------------------------------------

@pytest.mark.parametrize("pattern, prefix", [
    ("prod-*", "prod-"),
    ("*-churn", ""),
    ("p?od-[ab]x*", "p"),
    ("*", ""),
])
def test_pattern_narrows_the_log_group_prefix(pattern, prefix):
    monitor = config(endpoints={"match": pattern})
    assert log_group_prefix(monitor) == "/aws/sagemaker/Endpoints/" + prefix


def test_a_list_prefixes_log_groups_by_the_common_part():
    monitor = config(endpoints=["prod-churn", "prod-fraud"])
    assert log_group_prefix(monitor) == "/aws/sagemaker/Endpoints/prod-"


# --- expansion -------------------------------------------------------------------------------

FULL = dict(error_rate_percent=1, invocations_anomaly={"deviations": 2}, cpu_utilization_percent=80,
            memory_utilization_percent=85, disk_utilization_percent=90, log_retention_days=30,
            dashboard=True, actions={"alarm": ["topic:ml-oncall"]}, tags={"tier": "prod"})


def test_expansion_names_and_origins():
    monitor = config(**FULL)
    generated = expand(stack_of({"all-prod": monitor}), "all-prod", monitor, "prod-churn",
                       [Variant("AllTraffic"), Variant("Canary")], SCOPE)
    assert sorted(generated["alarms"]) == sorted(
        f"prod-churn-{variant}-{suffix}" for variant in ("AllTraffic", "Canary")
        for suffix in ("latency-p90", "error-rate", "invocations-anomaly", "cpu-utilization",
                       "memory-utilization", "disk-utilization"))
    assert list(generated["log_groups"]) == ["/aws/sagemaker/Endpoints/prod-churn"]
    assert list(generated["dashboards"]) == ["ml-endpoint-prod-churn"]
    resources = [d for kind in generated.values() for d in kind.values()]
    assert {d.origin for d in resources} == {"endpoint_monitors.all-prod[prod-churn]"}
    assert [d.adopt for d in resources if d.adopt] == [True]  # the log group only


def test_latency_alarm_is_the_alarms_kinds_comparable_form_in_microseconds():
    monitor = config(latency_p90_ms=1.1, actions={"alarm": ["topic:ml-oncall"]})
    spec = expand(stack_of({"m": monitor}), "m", monitor, "prod-churn", [Variant("AllTraffic")],
                  SCOPE)["alarms"]["prod-churn-AllTraffic-latency-p90"].spec
    declared = AlarmConfig.model_validate({
        "description": "p90 model latency of prod-churn variant AllTraffic above 1.1 ms",
        "metric": {"namespace": "AWS/SageMaker", "name": "ModelLatency", "stat": "p90",
                   "dimensions": {"EndpointName": "prod-churn", "VariantName": "AllTraffic"}},
        "period": 60, "when": "> 1100", "evaluation_periods": 3,
        "treat_missing_data": "notBreaching", "actions": {"alarm": ["topic:ml-oncall"]}})
    assert spec == alarm_spec(declared, {"team": "ml", "obsctl:stack": "test"}, SCOPE)
    assert spec["threshold"] == 1100 and spec["extended_statistic"] == "p90"


def test_error_rate_is_a_math_alarm_over_5xx_and_invocations():
    alarm = alarm_configs(config(error_rate_percent=2), "prod-churn", Variant("AllTraffic"))["error-rate"]
    assert alarm.expression == "100 * errors / invocations"
    assert {key: (ref.name, ref.stat) for key, ref in alarm.metrics.items()} == {
        "errors": ("Invocation5XXErrors", "Sum"), "invocations": ("Invocations", "Sum")}
    assert alarm.condition() == ("GreaterThanThreshold", 2)


def test_serverless_variants_get_no_cpu_or_disk_alarms():
    # Serverless endpoints publish no CPUUtilization or DiskUtilization.
    alarms = alarm_configs(config(**FULL), "prod-churn", Variant("AllTraffic", serverless=True))
    assert "cpu-utilization" not in alarms and "disk-utilization" not in alarms
    assert alarms["memory-utilization"].metric.namespace == "/aws/sagemaker/Endpoints"


def test_a_gone_endpoint_keeps_only_its_log_group():
    monitor = config(**FULL)
    generated = expand(stack_of({"m": monitor}), "m", monitor, "prod-old", None, SCOPE)
    assert {kind: list(names) for kind, names in generated.items() if names} == {
        "log_groups": ["/aws/sagemaker/Endpoints/prod-old"]}
    assert generated["log_groups"]["/aws/sagemaker/Endpoints/prod-old"].spec == {
        "retention_days": 30, "tags": {"team": "ml", "tier": "prod", "obsctl:stack": "test"}}


def test_dashboard_shows_the_endpoints_alarms_and_threshold():
    monitor = config(**FULL)
    body = expand(stack_of({"m": monitor}), "m", monitor, "prod-churn", [Variant("AllTraffic")],
                  SCOPE)["dashboards"]["ml-endpoint-prod-churn"].spec["body"]
    latency, alarm_status = body["widgets"][0], body["widgets"][-1]
    assert latency["properties"]["annotations"]["horizontal"] == [{"label": "alarm threshold", "value": 500000}]
    assert alarm_status["type"] == "alarm" and len(alarm_status["properties"]["alarms"]) == 6
    assert alarm_status["properties"]["alarms"][0].startswith("arn:aws:cloudwatch:us-east-1:123456789012:alarm:prod-churn-")


def test_two_monitors_generating_one_name_is_an_error():
    monitor = config()
    generated: dict = {}
    _merge(generated, expand(stack_of({}), "a", monitor, "prod-churn", [Variant("AllTraffic")], SCOPE))
    with pytest.raises(ObsctlError, match="generated by both endpoint_monitors.a.prod-churn. and "
                                          "endpoint_monitors.b.prod-churn."):
        _merge(generated, expand(stack_of({}), "b", monitor, "prod-churn", [Variant("AllTraffic")], SCOPE))


# --- discovery -------------------------------------------------------------------------------

class _Denied:
    """A stub AwsContext whose SageMaker calls are refused."""

    def client(self, service):
        def paginate(**_):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}},
                              "ListEndpoints")
        return SimpleNamespace(get_paginator=lambda name: SimpleNamespace(paginate=paginate))

    def read_once(self, key, load):
        return load()


def test_discovery_without_permission_is_a_clear_error():
    with pytest.raises(ObsctlError, match="cannot discover SageMaker endpoints: ListEndpoints failed "
                                          "with AccessDeniedException: not allowed .*sagemaker:ListEndpoints"):
        list_endpoint_names(_Denied())


def test_no_monitors_means_no_discovery():
    assert EndpointMonitors().generate(None, stack_of({}), SCOPE) == {}


def test_scaling_references_are_refused_because_a_policy_scales_one_variant():
    monitors = {"m": config(actions={"alarm": ["scaling:churn-step-out"]})}
    [diagnostic] = EndpointMonitors().check(stack_of(monitors))
    assert "`scaling:` actions scale one endpoint variant" in diagnostic.message


@pytest.mark.parametrize("name, generated", [
    ("prod-churn-AllTraffic-latency-p90", True),
    ("prod-churn-model-blue-variant-latency-p90", True),  # dashes in endpoint and variant
    ("staging-churn-AllTraffic-latency-p90", False),  # the pattern does not match the endpoint
    ("prod-churn-AllTraffic-error-rate", False),  # no error_rate_percent: never generated
    ("prod-churn-latency-p90", False),  # endpoint `prod` (not matched), variant `churn`
    ("prod-latency-p90", False),
    ("-AllTraffic-latency-p90", False),
])
def test_names_an_endpoint_monitor_may_generate_are_left_to_the_plan(name, generated):
    stack = stack_of({"all-prod": config()})
    assert EndpointMonitors().may_generate(stack, "alarms", name) is generated
    assert EndpointMonitors().may_generate(stack, "dashboards", name) is False
