"""What AWS would refuse at apply, refused at validate instead: exact message and location of
each case, through the real kinds' models (no AWS: load_stacks makes no call)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler.config import load_stacks
from reconciler.diagnostics import ConfigError
from reconciler.kinds import KINDS

METRIC = "{namespace: AWS/SageMaker, name: ModelLatency, stat: p90, period: 60}"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def errors_of(text: str) -> list[str]:
    Path("f.yaml").write_text(textwrap.dedent(text))
    with pytest.raises(ConfigError) as raised:
        load_stacks(["f.yaml"], KINDS)
    return str(raised.value).splitlines()


def loads(text: str):
    Path("f.yaml").write_text(textwrap.dedent(text))
    [stack] = load_stacks(["f.yaml"], KINDS)
    return stack


# --- tags ---------------------------------------------------------------------------------

ALLOWED = "AWS allows letters, digits, spaces and _ . : / = + - @"


@pytest.mark.parametrize("tags, expected", [
    ('{"aws:team": x}', "2:8: error: tags: invalid key 'aws:team': tag keys starting with "
                        "'aws:' are reserved for AWS's own tags"),
    ('{"AWS:team": x}', "2:8: error: tags: invalid key 'AWS:team': tag keys starting with "
                        "'aws:' are reserved for AWS's own tags"),
    ('{"obsctl:stack": x}', "2:8: error: tags: invalid key 'obsctl:stack': tag keys starting "
                            "with 'obsctl:' are reserved for obsctl's own tags (obsctl:stack, "
                            "obsctl:applied), which it sets itself"),
    ('{"team!": x}', "2:8: error: tags: invalid key 'team!': character '!' (U+0021) at "
                     f"position 5 is not allowed in a tag key; {ALLOWED}"),
    ('{team: "ml\\nops"}', "2:8: error: tags.team: character '\\n' (U+000A) at position 3 is "
                           f"not allowed in a tag value; {ALLOWED}"),
    ('{team: "ml\\u2028ops"}', "2:8: error: tags.team: character '\\u2028' (U+2028) at "
                               f"position 3 is not allowed in a tag value; {ALLOWED}"),
    ('{team: "a#b"}', "2:8: error: tags.team: character '#' (U+0023) at position 2 is not "
                      f"allowed in a tag value; {ALLOWED}"),
    ("{" + "k" * 129 + ": x}", "2:8: error: tags: invalid key '" + "k" * 56 + "...: string "
                               "should have at most 128 characters"),
    ("{team: " + "v" * 257 + "}", "2:8: error: tags.team: string should have at most 256 "
                                  "characters"),
])
def test_stack_tags_outside_the_aws_pattern(tags, expected):
    [message] = errors_of(f"stack: s\ntags: {tags}\n")
    assert message.startswith(f"f.yaml:{expected}")


def test_unicode_letters_digits_and_spaces_are_tags_aws_accepts():
    stack = loads("""\
        stack: s
        tags: {"équipe": "données ML", "チーム": "機械学習", "n٣": "", "a_.:/=+-@b": "x y"}
        """)
    assert stack.tags["チーム"] == "機械学習" and stack.tags["n٣"] == ""


def test_resource_tags_are_checked_like_stack_tags():
    assert errors_of("""\
        stack: s
        topics:
          oncall:
            tags: {"obsctl:applied": "0123456789abcdef", ok: "a\\tb"}
        """) == [
        "f.yaml:4:12: error: topics.oncall.tags: invalid key 'obsctl:applied': tag keys starting "
        "with 'obsctl:' are reserved for obsctl's own tags (obsctl:stack, obsctl:applied), which "
        "it sets itself",
        "f.yaml:4:50: error: topics.oncall.tags.ok: character '\\t' (U+0009) at position 2 is "
        f"not allowed in a tag value; {ALLOWED}",
    ]


def tag_map(prefix: str, count: int) -> str:
    return "{" + ", ".join(f"{prefix}{i}: v" for i in range(count)) + "}"


def test_stack_and_resource_tags_together_are_at_most_48():
    assert errors_of(f"""\
        stack: s
        tags: {tag_map("s", 40)}
        topics:
          oncall:
            tags: {tag_map("t", 9)}
          pager:
            tags: {tag_map("s", 40)}
        alarms:
          latency:
            metric: {METRIC}
            when: "> 1"
            tags: {tag_map("a", 8)}
        """) == [
        "f.yaml:5:5: error: topics.oncall.tags: 9 tags here and 40 more from the stack's `tags` "
        "make 49; at most 48 tags: AWS allows 50 per resource and obsctl adds 2 (obsctl:stack, "
        "obsctl:applied)",
    ]


def test_merged_tag_limit_applies_to_tags_from_defaults_and_presets():
    [message] = errors_of(f"""\
        stack: s
        tags: {tag_map("s", 30)}
        defaults:
          alarm:
            tags: {tag_map("d", 19)}
        alarms:
          latency:
            metric: {METRIC}
            when: "> 1"
        """)
    assert message.startswith("f.yaml:5:5: error: alarms.latency.tags: 19 tags here and 30 more")


# --- control characters in names ------------------------------------------------------------

CONTROL = "AWS refuses control characters (newlines, tabs, escapes) in names"


@pytest.mark.parametrize("section, entry", [
    ("alarms", f"{{metric: {METRIC}, when: '> 1'}}"),
    ("composite_alarms", "{rule: 'TRUE'}"),
    ("queries", "{log_groups: [/ml/app], query: 'fields @message'}"),
    ("scaling_policies", "{endpoint: churn, min_capacity: 1, max_capacity: 2, "
                         "target_tracking: {metric: SageMakerVariantInvocationsPerInstance, "
                         "target: 100}}"),
])
@pytest.mark.parametrize("name, code, position", [
    ("a\\tb", "0009", 2), ("a\\nb", "000A", 2), ("\\e[31mred", "001B", 1), ("del\\x7f", "007F", 4),
    ("c1\\x85", "0085", 3), ("c1\\x9b", "009B", 3), ("ls\\u2028", "2028", 3),
])
def test_control_characters_in_resource_names(section, entry, name, code, position):
    messages = errors_of(f'stack: s\n{section}:\n  "{name}": {entry}\n')
    assert messages[0].startswith(f"f.yaml:3:3: error: {section}: invalid key ")
    assert messages[0].endswith(f": control character U+{code} at position {position}: {CONTROL}")


@pytest.mark.parametrize("section, entry", [
    ("metric_filters", "{pattern: '', metric: {namespace: ML, name: Errors, value: '1'}}"),
    ("subscription_filters", "{pattern: '', destination_arn: "
                             "'arn:aws:lambda:us-east-1:123456789012:function:f'}"),
])
def test_control_characters_in_filter_names(section, entry):
    assert errors_of(f'stack: s\nlog_groups:\n  /ml/app:\n    {section}:\n      "to\\x1b[2J": {entry}\n') == [
        f"f.yaml:5:7: error: log_groups./ml/app.{section}: invalid key 'to\\x1b[2J': control "
        f"character U+001B at position 3: {CONTROL}"]


@pytest.mark.parametrize("section, entry, message", [
    ("topics", "{}", "must be 1-256 letters, digits, _ and -"),
    ("dashboards", "{widgets: []}", "string should match pattern"),
    ("log_groups", "{}", "must be 1-512 characters"),
    ("event_rules", "{pattern: {source: [aws.sagemaker]}}", "string should match pattern"),
    ("model_monitors", "{}", "string should match pattern"),
    ("endpoint_monitors", "{}", "string should match pattern"),
])
def test_names_with_stricter_aws_patterns_refuse_control_characters_too(section, entry, message):
    messages = errors_of(f'stack: s\n{section}:\n  "ok\\n": {entry}\n')
    assert any(m.startswith(f"f.yaml:3:3: error: {section}: invalid key 'ok\\n': ") and message in m
               for m in messages), messages


def test_a_control_character_in_a_key_path_is_shown_escaped():
    messages = errors_of('stack: s\nalarms:\n  "x\\ey": {when: "> 1"}\n')
    assert "f.yaml:3:3: error: alarms['x\\x1by']: set either `metric`" in "\n".join(messages)


# --- thresholds -----------------------------------------------------------------------------

@pytest.mark.parametrize("fields, expected", [
    ("comparison: '>'\n    threshold: 1e400",
     "6:5: error: alarms.a.threshold: input should be a finite number, got inf"),
    ("comparison: '>'\n    threshold: .inf",
     "6:5: error: alarms.a.threshold: input should be a finite number, got inf"),
    ("comparison: '>'\n    threshold: -.Inf",
     "6:5: error: alarms.a.threshold: input should be a finite number, got -inf"),
    ("comparison: '>'\n    threshold: .nan",
     "6:5: error: alarms.a.threshold: input should be a finite number, got nan"),
    ("when: '> 1e400'",
     "5:5: error: alarms.a.when: '> 1e400': the threshold 1e400 is too large for a CloudWatch "
     "threshold (a double)"),
    ("when: '< -2e308'",
     "5:5: error: alarms.a.when: '< -2e308': the threshold -2e308 is too large for a CloudWatch "
     "threshold (a double)"),
])
def test_non_finite_thresholds(fields, expected):
    assert errors_of(f"stack: s\nalarms:\n  a:\n    metric: {METRIC}\n    {fields}\n") == [
        f"f.yaml:{expected}"]


def test_non_finite_numbers_elsewhere():
    assert errors_of("""\
        stack: s
        log_groups:
          /ml/app:
            metric_filters:
              errors:
                pattern: ERROR
                metric: {namespace: ML, name: Errors, value: "1", default_value: .nan}
        dashboards:
          ml:
            widgets:
              - {type: metric, metrics: [{namespace: A, name: B}], y_axis: {min: -.inf, max: 1}}
              - type: metric
                metrics: [{namespace: A, name: B}]
                annotations: {horizontal: [{value: 1e999}]}
        """) == [
        "f.yaml:7:59: error: log_groups./ml/app.metric_filters.errors.metric.default_value: "
        "input should be a finite number, got nan",
        "f.yaml:11:69: error: dashboards.ml.widgets[0].y_axis.min: input should be a finite "
        "number, got -inf",
        "f.yaml:14:37: error: dashboards.ml.widgets[1].annotations.horizontal[0].value: input "
        "should be a finite number, got inf",
    ]


# --- metric math ----------------------------------------------------------------------------

def math_alarm(expression: str) -> str:
    return f"""\
        stack: s
        alarms:
          error-rate:
            expression: "{expression}"
            metrics:
              errors: {{namespace: AWS/SageMaker, name: Invocation5XXErrors, stat: Sum}}
              invocations: {{namespace: AWS/SageMaker, name: Invocations, stat: Sum}}
            period: 300
            when: "> 5"
        """


@pytest.mark.parametrize("expression, message", [
    ("100 * (errors / invocations", "'(' at column 7 is never closed"),
    ("100 * errors // invocations", "unexpected '/' at column 15: a value was expected"),
    ("errors = invocations", "unexpected '=' at column 8 (compare with ==)"),
    ("sum(errors) / invocations", "unknown function 'sum' at column 1 (functions are upper "
                                  "case: SUM)"),
    ("100 * errors / invocation", "'invocation' at column 16 is not a metric id defined in "
                                  "`metrics` (defined: errors, invocations); did you mean "
                                  "'invocations'?"),
    ("100 * expr / invocations", "'expr' at column 7 is not a metric id defined in `metrics` "
                                 "(defined: errors, invocations)"),
    ("SEARCH('{AWS/SageMaker,EndpointName} Invocations', 'Sum', 300)",
     "the expression uses SEARCH at column 1: an alarm cannot watch a SEARCH expression (it returns several time "
     "series)"),
    ("ANOMALY_DETECTION_BAND(errors, 2)",
     "the expression uses ANOMALY_DETECTION_BAND at column 1: an alarm on a band is an `anomaly_band` alarm: set "
     "`metric` and `anomaly_band` instead"),
])
def test_metric_math_errors_point_at_the_expression(expression, message):
    assert errors_of(math_alarm(expression)) == [
        f"f.yaml:4:5: error: alarms.error-rate.expression: {message}"]


def test_metric_math_that_aws_accepts():
    stack = loads(math_alarm("IF(invocations > 0, 100 * FILL(errors, 0) / invocations, 0)"))
    assert stack.section("alarms")["error-rate"].expression.startswith("IF(")


# --- filter patterns ------------------------------------------------------------------------

def test_filter_patterns_are_parsed_in_both_filter_kinds():
    assert errors_of("""\
        stack: s
        log_groups:
          /ml/app:
            metric_filters:
              slow:
                pattern: '{ $.latency > slow }'
                metric: {namespace: ML, name: Slow, value: "1"}
            subscription_filters:
              errors:
                pattern: '[level = ERROR, message'
                destination_arn: arn:aws:lambda:us-east-1:123456789012:function:alert
        """) == [
        "f.yaml:6:9: error: log_groups./ml/app.metric_filters.slow.pattern: '>' compares "
        "numbers: 'slow' at column 15 is not a number",
        "f.yaml:10:9: error: log_groups./ml/app.subscription_filters.errors.pattern: '[' at "
        "column 1 is never closed",
    ]


def test_at_most_five_regex_patterns_per_log_group():
    filters = "\n".join(f"      r{i}: {{pattern: '%err{i}%', metric: {{namespace: ML, name: E, "
                        "value: '1'}}" for i in range(6))
    assert errors_of(f"stack: s\nlog_groups:\n  /ml/app:\n    metric_filters:\n{filters}\n") == [
        "f.yaml:3:3: error: log_groups./ml/app: 6 filter patterns of this log group use a regex "
        "('r0', 'r1', 'r2', 'r3', 'r4', 'r5'); CloudWatch Logs allows at most 5 per log group"]


# --- subscription filter distribution -------------------------------------------------------

@pytest.mark.parametrize("destination, role, what", [
    ("arn:aws:firehose:us-east-1:123456789012:deliverystream/archive",
     "arn:aws:iam::123456789012:role/cwl", "Firehose delivery stream"),
    ("arn:aws:lambda:us-east-1:123456789012:function:alert", None, "Lambda function"),
])
def test_distribution_only_on_kinesis_destinations(destination, role, what):
    role_line = f"\n        role_arn: {role}" if role else ""
    assert errors_of(f"""\
stack: s
log_groups:
  /ml/app:
    subscription_filters:
      out:
        pattern: ""
        destination_arn: {destination}{role_line}
        distribution: ByLogStream
""") == [f"f.yaml:{9 if role else 8}:9: error: log_groups./ml/app.subscription_filters.out."
         f"distribution: applies only to a Kinesis stream destination, not to a {what}; "
         "remove it"]


@pytest.mark.parametrize("destination", [
    "arn:aws:kinesis:us-east-1:123456789012:stream/errors",
    "arn:aws:logs:us-east-1:222222222222:destination:central",
])
def test_distribution_allowed_on_kinesis_and_logs_destinations(destination):
    stack = loads(f"""\
stack: s
log_groups:
  /ml/app:
    subscription_filters:
      out:
        pattern: ""
        destination_arn: {destination}
        role_arn: arn:aws:iam::123456789012:role/cwl
        distribution: Random
""")
    assert stack.section("log_groups")["/ml/app"].subscription_filters["out"].distribution == "Random"


# --- FIFO topics ----------------------------------------------------------------------------

QUEUE = "arn:aws:sqs:us-east-1:123456789012"


def test_fifo_topics_deliver_only_to_sqs_and_fifo_queues_only_from_fifo_topics():
    assert errors_of(f"""\
        stack: s
        topics:
          events.fifo:
            subscriptions:
              - {{protocol: sqs, endpoint: "{QUEUE}:events.fifo"}}
              - {{protocol: lambda, endpoint: "arn:aws:lambda:us-east-1:123456789012:function:f"}}
          events:
            subscriptions:
              - {{protocol: sqs, endpoint: "{QUEUE}:events"}}
              - {{protocol: sqs, endpoint: "{QUEUE}:events.fifo"}}
        """) == [
        "f.yaml:6:9: error: a FIFO topic delivers only to SQS queues, not 'lambda' (SNS: "
        "Invalid protocol type)",
        "f.yaml:10:9: error: a FIFO SQS queue can subscribe only to a FIFO topic (a name ending "
        "in '.fifo')",
    ]


@pytest.mark.parametrize("name", ["events.FIFO", "events.fifo.fifo", ".fifo", "a.b", "x" * 257,
                                  "x" * 252 + ".fifo"])
def test_topic_names(name):
    [message] = errors_of(f'stack: s\ntopics:\n  "{name}": {{}}\n')
    assert message.startswith("f.yaml:3:3: error: topics: invalid key ")
    assert message.endswith("must be 1-256 letters, digits, _ and -, plus '.fifo' at the end "
                            "for a FIFO topic")


def test_fifo_and_standard_topic_names_aws_accepts():
    # CreateTopic: 1-256 characters, `.fifo` included
    stack = loads(f"stack: s\ntopics:\n  a-b_C.fifo: {{}}\n  {'x' * 251}.fifo: {{}}\n  {'y' * 256}: {{}}\n")
    assert "a-b_C.fifo" in stack.section("topics")
