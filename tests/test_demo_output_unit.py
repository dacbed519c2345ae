"""`make demo` keeps its output readable: the plan once, one line per resource; the apply only
its summary (it prints the same plan again); status only totals and alarms in ALARM."""

import importlib.util
from pathlib import Path

SPEC = importlib.util.spec_from_file_location(
    "demo", Path(__file__).resolve().parents[1] / "scripts" / "demo.py")
demo = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(demo)

PLAN = """Stack ml-prod (us-east-1):

  # topics/ml-oncall will be created
  + topics/ml-oncall
      + display_name = "ML on-call"

  # alarms/churn-latency-p90 will be created (from endpoint_monitors.all[churn])
  + alarms/churn-latency-p90
      + threshold = 500000

Plan: 2 to create, 0 to update, 0 to delete.
Note: lambda_monitors.serverless: 1 function without the Lambda Insights extension layer gets""".splitlines()


def test_the_plan_shows_one_line_per_resource_and_the_summary():
    assert demo.plan_headers(PLAN) == [
        "Stack ml-prod (us-east-1):",
        "  # topics/ml-oncall will be created",
        "  # alarms/churn-latency-p90 will be created (from endpoint_monitors.all[churn])",
        "Plan: 2 to create, 0 to update, 0 to delete.",
        "Note: lambda_monitors.serverless: 1 function without the Lambda Insights extension layer gets",
    ]


def test_the_apply_shows_failures_and_its_summary_not_the_plan_again():
    applied = PLAN + ["", "+ topics/ml-oncall: created",
                      "! alarms/churn-latency-p90: create failed: ValidationError: bad", "",
                      "Apply complete: 1 created, 0 updated, 0 deleted, 1 failed."]
    assert demo.apply_summary(applied) == [
        "! alarms/churn-latency-p90: create failed: ValidationError: bad",
        "Apply complete: 1 created, 0 updated, 0 deleted, 1 failed.",
    ]


def test_status_shows_totals_and_only_the_alarms_in_alarm():
    status = """stack ml-platform (us-east-1): 2 alarms: 1 ALARM, 1 INSUFFICIENT_DATA
  ALARM              prod-churn-down (composite)  since 2026-11-29 19:22:31Z
                     obsctl test-alarm by arn:aws:sts::123456789012:user/moto
  INSUFFICIENT_DATA  prod-churn-latency  since 2026-11-29 19:21:53Z
                     Unchecked: Initial alarm creation

2 alarms: 1 ALARM, 1 INSUFFICIENT_DATA in 1 stack""".splitlines()
    assert demo.status_summary(status) == [
        "stack ml-platform (us-east-1): 2 alarms: 1 ALARM, 1 INSUFFICIENT_DATA",
        "  ALARM              prod-churn-down (composite)  since 2026-11-29 19:22:31Z",
        "                     obsctl test-alarm by arn:aws:sts::123456789012:user/moto",
        "2 alarms: 1 ALARM, 1 INSUFFICIENT_DATA in 1 stack",
    ]
