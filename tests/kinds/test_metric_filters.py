"""Metric filters (declared under their log group) through the CLI against the emulator."""

from __future__ import annotations

from tests.helpers import (addresses, apply_ok, assert_no_changes, change, field_diffs, plan_json,
                           summary)

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
    assert "metric_filters:/ml/churn:errors" in first.stdout
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
    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc) == ["metric_filters:/ml/churn:errors"]
    assert field_diffs(change(doc, "metric_filters:/ml/churn:errors")) == {
        "pattern": ("ERROR", "?ERROR ?Exception")}
    assert doc["summary"] == summary(update=1)

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
    doc = plan_json(obsctl, path)
    assert addresses(doc) == ["metric_filters:/ml/churn:latency"]
    assert field_diffs(change(doc, "metric_filters:/ml/churn:latency")) == {
        "unit": ("Seconds", "Milliseconds"), "dimensions.Variant": (None, "$.variant")}


def test_target_selects_one_filter_by_group_and_name(obsctl, write_config, aws):
    path = write_config(CONFIG)
    doc = plan_json(obsctl, path, "--target", "metric_filters//ml/churn:errors")
    assert addresses(doc, "create") == ["metric_filters:/ml/churn:errors"]
    assert doc["summary"] == summary(create=1)


def test_removed_filter_is_pruned_by_pattern_and_others_are_left_alone(obsctl, write_config, boto):
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    boto("logs").create_log_group(logGroupName="/other/app")
    boto("logs").put_metric_filter(
        logGroupName="/other/app", filterName="theirs", filterPattern="",
        metricTransformations=[{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}])
    path = write_config(CONFIG.replace(LATENCY_FILTER, ""))
    doc = plan_json(obsctl, path, "--prune")
    assert addresses(doc) == ["metric_filters:/ml/churn:latency"]  # not /other/app:theirs
    assert change(doc, "metric_filters:/ml/churn:latency")["action"] == "delete"
    apply_ok(obsctl, path, "--prune")
    assert set(filters(boto, "/ml/churn")) == {"errors"}
    assert set(filters(boto, "/other/app")) == {"theirs"}
