"""Metric filters (declared under their log group) through the CLI against the emulator."""

from __future__ import annotations

from tests.helpers import apply_ok, assert_no_changes

LATENCY_FILTER = """\
      latency:
        pattern: '{ $.latency = * }'
        metric:
          namespace: ML/Churn
          name: Latency
          value: $.latency
          unit: Milliseconds
          dimensions: {Variant: $.variant, Model: $.model}
"""
CONFIG = f"""
stack: test
prune: {{metric_filters: ["/ml/*"]}}
log_groups:
  /ml/churn:
    retention_days: 30
    metric_filters:
      errors:
        pattern: '  ?ERROR ?Exception  '
        metric: {{namespace: ML/Churn, name: InferenceErrors, value: "1", default_value: 0}}
{LATENCY_FILTER}\
  /ml/fraud:
    metric_filters:
      everything:
        pattern: ""
        metric: {{namespace: ML/Fraud, name: Events, value: "1", unit: None}}
"""


def filters(boto, group: str) -> dict[str, dict]:
    found = boto("logs").describe_metric_filters(logGroupName=group)["metricFilters"]
    return {f["filterName"]: f for f in found}


def test_apply_then_plan_is_empty_despite_values_aws_rewrites(obsctl, write_config, boto):
    # default_value 0 comes back as 0.0, `unit: None` as no unit, dimensions in any order,
    # and the pattern is sent without its surrounding spaces.
    path = write_config(CONFIG)
    first = apply_ok(obsctl, path)
    assert "metric_filters//ml/churn:errors" in first.stdout
    assert_no_changes(obsctl, path)
    again = apply_ok(obsctl, path)
    assert again.writes == 0, again.calls

    errors = filters(boto, "/ml/churn")["errors"]
    assert errors["filterPattern"] == "?ERROR ?Exception"
    assert errors["metricTransformations"] == [{
        "metricName": "InferenceErrors", "metricNamespace": "ML/Churn", "metricValue": "1",
        "defaultValue": 0.0}]
    assert set(filters(boto, "/ml/fraud")) == {"everything"}


def test_filters_are_read_account_wide_in_one_listing(obsctl, write_config, aws):
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    plan = obsctl("plan", path, "--target", "metric_filters/*")
    assert plan.calls["logs.DescribeMetricFilters"] == 1


def test_pattern_drift_is_shown_and_repaired(obsctl, write_config, boto):
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    boto("logs").put_metric_filter(
        logGroupName="/ml/churn", filterName="errors", filterPattern="ERROR",
        metricTransformations=[{"metricName": "InferenceErrors", "metricNamespace": "ML/Churn",
                                "metricValue": "1", "defaultValue": 0}])
    plan = obsctl("plan", path, "--detailed-exitcode")
    assert plan.exit_code == 2
    assert '~ pattern: "ERROR" -> "?ERROR ?Exception"' in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to delete." in plan.stdout

    apply_ok(obsctl, path)
    # PutMetricFilter replaced the filter of that name rather than adding a second one.
    [errors] = boto("logs").describe_metric_filters(logGroupName="/ml/churn",
                                                    filterNamePrefix="errors")["metricFilters"]
    assert errors["filterPattern"] == "?ERROR ?Exception"
    assert_no_changes(obsctl, path)


def test_metric_drift_names_each_field(obsctl, write_config, boto):
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    boto("logs").put_metric_filter(
        logGroupName="/ml/churn", filterName="latency", filterPattern="{ $.latency = * }",
        metricTransformations=[{"metricName": "Latency", "metricNamespace": "ML/Churn",
                                "metricValue": "$.latency", "unit": "Seconds",
                                "dimensions": {"Model": "$.model"}}])
    plan = obsctl("plan", path)
    assert '~ unit: "Seconds" -> "Milliseconds"' in plan.stdout
    assert '~ dimensions.Variant: (none) -> "$.variant"' in plan.stdout


def test_target_selects_one_filter_by_group_and_name(obsctl, write_config, aws):
    path = write_config(CONFIG)
    plan = obsctl("plan", path, "--target", "metric_filters//ml/churn:errors")
    assert "metric_filters//ml/churn:errors" in plan.stdout
    assert "latency" not in plan.stdout and "log_groups/" not in plan.stdout
    assert "Plan: 1 to create, 0 to update, 0 to delete." in plan.stdout


def test_removed_filter_is_pruned_by_pattern_and_others_are_left_alone(obsctl, write_config, boto):
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    boto("logs").create_log_group(logGroupName="/other/app")
    boto("logs").put_metric_filter(
        logGroupName="/other/app", filterName="theirs", filterPattern="",
        metricTransformations=[{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}])
    path = write_config(CONFIG.replace(LATENCY_FILTER, ""))
    plan = obsctl("plan", path, "--prune")
    assert "- metric_filters//ml/churn:latency" in plan.stdout
    assert "theirs" not in plan.stdout
    apply_ok(obsctl, path, "--prune")
    assert set(filters(boto, "/ml/churn")) == {"errors"}
    assert set(filters(boto, "/other/app")) == {"theirs"}
