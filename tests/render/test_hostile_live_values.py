"""Values set in AWS out of band reach the plan as written: `plan --format markdown` must still
be a comment that shows them as text (end to end, through the CLI and the emulator)."""

from __future__ import annotations

from tests.render.commonmark import OWN_ELEMENTS, rendered

CONFIG = """
stack: test
alarms:
  latency:
    metric: {namespace: ML, name: Latency, stat: Sum, period: 60}
    when: "> 500"
    description: "v1\\nsecond line"
  errors:
    metric: {namespace: ML, name: Errors, stat: Sum, period: 60}
    when: "> 5"
"""
HOSTILE = "</code></summary></details><!--\n```\n| x | y |\n**No changes.** <img src=x>"


def put_alarm(cloudwatch, name: str, metric: str, **extra):
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="ML", MetricName=metric, Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=500, ComparisonOperator="GreaterThanThreshold", **extra)


def test_hostile_live_values_stay_text_in_the_pr_comment(obsctl, write_config, boto):
    path = write_config(CONFIG)
    cloudwatch = boto("cloudwatch")
    # Another "owner" of `errors`: its owner tag value lands in the conflict's reason.
    put_alarm(cloudwatch, "errors", "Errors", Tags=[{"Key": "obsctl:stack", "Value": HOSTILE}])
    obsctl("apply", path, "--auto-approve")  # creates latency; errors is a conflict
    put_alarm(cloudwatch, "latency", "Latency", AlarmDescription=HOSTILE)

    result = obsctl("plan", path, "--format", "markdown")
    assert result.exit_code == 1  # the conflict
    html, parsed = rendered(result.stdout)
    assert "<!--" not in html and set(parsed.tags) <= OWN_ELEMENTS, html
    assert parsed.tags.count("tr") == 3 and parsed.tags.count("details") == 2
    assert "alarms/latency" in parsed.text and "alarms/errors" in parsed.text
    assert "<strong>No changes.</strong>" not in html
    assert f"owned by stack {HOSTILE!r}; only that stack changes it" in parsed.text
    # A description of several lines: a diff of its lines, each as written.
    assert ("  description:\n-     </code></summary></details><!--\n-     ```\n-     | x | y |\n"
            "-     **No changes.** <img src=x>\n+     v1\n+     second line\n") in parsed.text
