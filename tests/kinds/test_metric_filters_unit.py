"""Metric filters without AWS: filter names, the desired form built from a loaded stack, filters
as DescribeMetricFilters returns them, and the config entries import writes for them.

(Transformation validation and the basic comparable-form quirks are in
test_log_groups_unit.py, where metric filters are declared.)"""

from __future__ import annotations

import io
import textwrap
from types import SimpleNamespace

import pytest
from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML

from reconciler.aws import Scope
from reconciler.config import load_stacks
from reconciler.kinds.base import ImportRefs, Live
from reconciler.kinds.log_groups import LogGroups
from reconciler.kinds.metric_filters import (MetricFilterConfig, MetricFilterName, MetricFilters,
                                             MetricTransformationConfig, check_filter_name,
                                             comparable_filter, config_transformation,
                                             filter_config, resource_name)
from reconciler.plan import diff_fields
from reconciler.kinds import KINDS

SCOPE = Scope(region="us-east-1", account_id="111111111111")
FILTERS = MetricFilters()


def load(tmp_path, text: str, name: str = "stack.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    [stack] = load_stacks([str(path)], KINDS)
    return stack


def transformation(**fields) -> dict:
    return {"metricNamespace": "ML/Churn", "metricName": "Errors", "metricValue": "1", **fields}


# --- names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["errors", "x" * 512, "inference errors (5xx)", "a/b.c#d", "é€"])
def test_good_filter_names_validate(name):
    assert check_filter_name(name) == name
    assert TypeAdapter(MetricFilterName).validate_python(name) == name


@pytest.mark.parametrize("name", ["", "x" * 513, "a:b", "errors*", ":", "*"])
def test_bad_filter_names_are_rejected_saying_what_is_allowed(name):
    with pytest.raises(ValueError) as error:
        check_filter_name(name)
    assert str(error.value) == f"metric filter name {name!r} must be 1-512 characters without ':' or '*'"
    with pytest.raises(ValidationError):
        TypeAdapter(MetricFilterName).validate_python(name)


def test_resource_name_is_group_colon_filter_and_splits_back_at_the_last_colon():
    name = resource_name("/aws/sagemaker/Endpoints/churn", "inference errors")
    assert name == "/aws/sagemaker/Endpoints/churn:inference errors"
    # log group names cannot contain ':', filter names neither: the name is unambiguous
    assert name.rsplit(":", 1) == ["/aws/sagemaker/Endpoints/churn", "inference errors"]


# --- desired form -----------------------------------------------------------------------------

STACK = """
stack: test
log_groups:
  /ml/churn:
    metric_filters:
      errors:
        pattern: ERROR
        metric: {namespace: ML/Churn, name: Errors, value: "1", default_value: 0}
      latency:
        pattern: ""
        metric:
          namespace: ML/Churn
          name: Latency
          value: $.latency
          unit: Milliseconds
          dimensions: {Variant: $.variant, Model: $.model}
  /ml/fraud:
    metric_filters:
      errors:
        pattern: "  ERROR  "
        metric: {namespace: ML/Fraud, name: Errors, value: "2.5", default_value: 1.50, unit: None}
      whole:
        pattern: ERROR
        metric: {namespace: ML/Fraud, name: Whole, value: "1", default_value: 2.0}
  /ml/quiet: {}
"""


def test_desired_from_a_loaded_stack(tmp_path):
    found = FILTERS.desired(load(tmp_path, STACK), SCOPE)
    assert {name: d.spec for name, d in found.items()} == {
        "/ml/churn:errors": {"log_group": "/ml/churn", "pattern": "ERROR", "metric_namespace": "ML/Churn",
                             "metric_name": "Errors", "metric_value": "1", "default_value": 0},
        "/ml/churn:latency": {"log_group": "/ml/churn", "pattern": "", "metric_namespace": "ML/Churn",
                              "metric_name": "Latency", "metric_value": "$.latency",
                              "unit": "Milliseconds",
                              "dimensions": {"Model": "$.model", "Variant": "$.variant"}},
        # unit None is what AWS reports for no unit; a whole default_value is an int
        "/ml/fraud:errors": {"log_group": "/ml/fraud", "pattern": "ERROR", "metric_namespace": "ML/Fraud",
                             "metric_name": "Errors", "metric_value": "2.5", "default_value": 1.5},
        "/ml/fraud:whole": {"log_group": "/ml/fraud", "pattern": "ERROR", "metric_namespace": "ML/Fraud",
                            "metric_name": "Whole", "metric_value": "1", "default_value": 2},
    }
    assert list(found["/ml/churn:latency"].spec["dimensions"]) == ["Model", "Variant"]
    locations = {name: (d.location.line, d.location.col) for name, d in found.items()}
    assert locations == {"/ml/churn:errors": (6, 7), "/ml/churn:latency": (9, 7),
                         "/ml/fraud:errors": (19, 7), "/ml/fraud:whole": (22, 7)}


def test_default_value_is_a_number_whatever_its_spelling():
    for spelled in (0, 0.0, -0.0):
        assert comparable_filter("/g", "", transformation(defaultValue=spelled))["default_value"] == 0
    for spelled, number in ((5, 5), (5.0, 5), (-1.0, -1), (0.25, 0.25), (1e20, 10 ** 20)):
        value = comparable_filter("/g", "", transformation(defaultValue=spelled))["default_value"]
        assert value == number and type(value) is type(number)


@pytest.mark.parametrize("number", [float("inf"), float("-inf"), float("nan")])
def test_default_value_must_be_a_finite_number(number):
    with pytest.raises(ValidationError):
        MetricTransformationConfig.model_validate({"namespace": "N", "name": "E", "value": "1",
                                                   "default_value": number})


def test_metric_value_is_compared_as_written():
    # metricValue is a string ("1", "$.latency"); "1" and "1.0" publish the same, but AWS keeps
    # what was sent, so only a changed config differs
    [change] = diff_fields(comparable_filter("/g", "", transformation(metricValue="1.0")),
                           comparable_filter("/g", "", transformation()))
    assert (change.path, change.before, change.after) == ("metric_value", "1.0", "1")


# --- filters as AWS returns them --------------------------------------------------------------

class FakeLogs:
    def __init__(self, pages):
        self.pages = pages

    def get_paginator(self, operation):
        assert operation == "describe_metric_filters"
        return SimpleNamespace(paginate=lambda **_: iter(self.pages))


def fake_aws(logs: FakeLogs) -> SimpleNamespace:
    """An AwsContext stand-in: its logs client, listings read straight away (no sharing)."""
    return SimpleNamespace(client=lambda service: logs, read_once=lambda key, load: load())


def described(group, name, pattern, item) -> dict:
    """A DescribeMetricFilters item; `pattern` None: the key is absent (a match-all filter)."""
    return {"filterName": name, "logGroupName": group, "creationTime": 1700000000000,
            "metricTransformations": [item], **({} if pattern is None else {"filterPattern": pattern})}


def test_live_filters_read_back_compare_equal_to_the_config(tmp_path):
    stack = load(tmp_path, STACK)
    pages = [
        {"metricFilters": [
            described("/ml/churn", "errors", "ERROR", transformation(defaultValue=0.0, unit="None")),
            described("/ml/churn", "latency", None, transformation(
                metricName="Latency", metricValue="$.latency", unit="Milliseconds",
                dimensions={"Variant": "$.variant", "Model": "$.model"})),
        ]},
        {"metricFilters": [
            described("/ml/fraud", "errors", "ERROR", transformation(
                metricNamespace="ML/Fraud", metricValue="2.5", defaultValue=1.5)),
            described("/ml/fraud", "whole", "ERROR", transformation(
                metricNamespace="ML/Fraud", metricName="Whole", defaultValue=2.0, dimensions={})),
            described("/other", "theirs", "x", transformation()),
        ]},
    ]
    live = FILTERS.read_live(fake_aws(FakeLogs(pages)), stack)
    assert set(live) == {"/ml/churn:errors", "/ml/churn:latency", "/ml/fraud:errors", "/ml/fraud:whole",
                         "/other:theirs"}
    assert live["/other:theirs"].identity == {"log_group": "/other", "filter_name": "theirs"}
    for name, want in FILTERS.desired(stack, SCOPE).items():
        assert diff_fields(FILTERS.comparable(live[name].spec, want.spec), want.spec) == [], name


def test_a_filter_moved_to_another_group_is_another_resource(tmp_path):
    stack = load(tmp_path, STACK)
    moved = described("/ml/other", "errors", "ERROR", transformation(defaultValue=0.0))
    live = FILTERS.read_live(fake_aws(FakeLogs([{"metricFilters": [moved]}])),
                             stack)
    assert list(live) == ["/ml/other:errors"]
    assert "/ml/other:errors" not in FILTERS.desired(stack, SCOPE)


# --- import -----------------------------------------------------------------------------------

@pytest.mark.parametrize("item, optional", [
    (transformation(), set()),
    (transformation(defaultValue=0), {"default_value"}),
    (transformation(defaultValue=1.5, unit="Count"), {"default_value", "unit"}),
    (transformation(metricValue="$.latency", unit="Milliseconds", dimensions={"B": "$.b", "A": "$.a"}),
     {"unit", "dimensions"}),
])
def test_filter_config_is_what_a_person_writes_and_validates_back_to_the_same_spec(item, optional):
    spec = comparable_filter("/g", "?ERROR ?Exception", item)
    entry = filter_config(spec)
    assert entry["pattern"] == "?ERROR ?Exception"
    assert set(entry["metric"]) == {"namespace", "name", "value"} | optional
    config = MetricFilterConfig.model_validate(entry)
    assert comparable_filter("/g", config.pattern, config_transformation(config.metric)) == spec


def test_filter_config_spells_out_only_what_is_set():
    assert filter_config(comparable_filter("/g", "", transformation(unit="None", dimensions={}))) == {
        "pattern": "", "metric": {"namespace": "ML/Churn", "name": "Errors", "value": "1"}}
    assert filter_config(comparable_filter("/g", "x", transformation(defaultValue=0.0))) == {
        "pattern": "x", "metric": {"namespace": "ML/Churn", "name": "Errors", "value": "1",
                                   "default_value": 0}}


def test_filters_import_with_their_log_group_and_load_back_to_the_live_specs(tmp_path):
    filters = {
        "errors": comparable_filter("/ml/churn", "?ERROR ?Exception", transformation(defaultValue=0.0)),
        "latency": comparable_filter("/ml/churn", '{ $.latency > 500 && $.model = "churn-v2" }',
                                     transformation(metricValue="$.latency", unit="Milliseconds",
                                                    dimensions={"Model": "$.model"})),
        "match-all": comparable_filter("/ml/churn", "", transformation(metricValue="1.5", defaultValue=2.5)),
        "quoted": comparable_filter("/ml/churn", "\"ERROR: {x}\" -'#1'", transformation()),
        "terms": comparable_filter("/ml/churn", "[ip, user, ..., status_code = 5*, bytes]",
                                   transformation()),
    }
    group = Live("/ml/churn", {"retention_days": "never", "kms_key_id": None, "tags": {}},
                 tags={"obsctl:stack": "test"}, identity={"metric_filters": filters})
    refs = ImportRefs(scope=SCOPE, topic_names={}, stack_tags={})
    (section, name), entry = LogGroups().to_config(group, refs)
    stream = io.StringIO()
    YAML().dump({"stack": "test", section: {name: entry}}, stream)
    stack = load(tmp_path, stream.getvalue(), "imported.yaml")
    assert {n: d.spec for n, d in FILTERS.desired(stack, SCOPE).items()} == {
        resource_name("/ml/churn", filter_name): spec for filter_name, spec in filters.items()}
