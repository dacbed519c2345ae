"""Renderers are pure functions of a hand-built plan: no AWS, no config."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema

from reconciler.plan import Action, Change, FieldChange, Plan, StackPlan
from reconciler.plan_document import plan_document
from reconciler.render import RENDERERS, markdown

GOLDEN = Path(__file__).parent / "golden"
PLAN_SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())


def sample_plan() -> Plan:
    changes = [
        Change("ml-prod", "topics", "ml-oncall", Action.CREATE, None,
               {"display_name": "ML on-call", "subscriptions": ["email:oncall@example.com"],
                "tags": {"obsctl:stack": "ml-prod"}}),
        Change("ml-prod", "alarms", "churn-latency-p90", Action.UPDATE,
               {"threshold": 500000, "evaluation_periods": 3},
               {"threshold": 400000, "evaluation_periods": 3},
               fields=[FieldChange("threshold", 500000, 400000)], fingerprint="abc123",
               cause="drift"),
        Change("ml-prod", "dashboards", "ml-old", Action.DELETE, {"body": {"widgets": []}}, None,
               reason="not in config; matches prune pattern of dashboards"),
        Change("ml-prod", "alarms", "legacy", Action.CONFLICT, None, {"threshold": 1},
               reason="exists without an owner tag; adopt it with --adopt alarms/legacy"),
        Change("ml-prod", "log_groups", "/aws/sagemaker/Endpoints/churn", Action.CREATE, None,
               {"retention_days": 30}),
    ]
    return Plan([StackPlan("ml-prod", "us-east-1", changes, config_digest="d1g3st")])


def golden(name: str, actual: str) -> str:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual)
    return path.read_text()


def test_markdown_matches_golden():
    actual = RENDERERS["markdown"](sample_plan())
    assert actual == golden("plan.md", actual)


def test_text_is_terraform_like():
    text = RENDERERS["text"](sample_plan())
    assert "  + topics/ml-oncall" in text
    assert '      + display_name = "ML on-call"' in text
    assert "      ~ threshold: 500000 -> 400000" in text
    assert "(drifted: changed outside obsctl since the last apply)" in text
    assert "  - dashboards/ml-old" in text
    assert ("  # alarms/legacy cannot be managed: exists without an owner tag; adopt it with "
            "--adopt alarms/legacy\n  ! alarms/legacy\n") in text
    assert "  + log_groups:/aws/sagemaker/Endpoints/churn\n" in text
    assert text.endswith("Plan: 2 to create, 1 to update, 1 to delete.\n"
                         "1 update is drift: AWS was changed outside obsctl since the last apply.\n"
                         "1 conflict: it exists in AWS and this stack does not own it, so it is "
                         "left alone.\n")


def test_empty_plan_says_no_changes():
    empty = Plan([StackPlan("ml-prod", "us-east-1")])
    assert RENDERERS["text"](empty).startswith("No changes.")
    assert "**No changes.**" in RENDERERS["markdown"](empty)
    assert json.loads(RENDERERS["json"](empty))["changes"] == []


def test_json_plan_follows_its_schema_and_round_trips():
    document = json.loads(RENDERERS["json"](sample_plan()))
    jsonschema.validate(document, PLAN_SCHEMA)
    assert document["summary"] == {"create": 2, "update": 1, "delete": 1, "conflict": 1}
    update = document["changes"][1]
    assert update["address"] == "alarms/churn-latency-p90"
    assert update["fields"] == [{"path": "threshold", "before": 500000, "after": 400000}]
    rebuilt = Change.from_dict({k: v for k, v in update.items() if k != "address"})
    assert rebuilt == sample_plan().changes[1]


def test_markdown_is_capped_for_github(monkeypatch):
    monkeypatch.setattr(markdown, "MAX_COMMENT_CHARS", 1500)
    many = [Change("s", "alarms", f"alarm-{i:03}", Action.CREATE, None, {"threshold": i})
            for i in range(100)]
    text = markdown.render(plan_document(Plan([StackPlan("s", "us-east-1", many)])))
    assert len(text) <= 1500 + 200  # the budget plus the closing note
    assert "_64 more rows not shown: the comment would exceed GitHub's size limit." in text
    assert "| 🟢 create | `alarms/alarm-000` |" in text
    assert "alarms/alarm-099" not in text


def test_markdown_of_a_run_that_selected_no_stack_says_so():
    from reconciler.plan import Plan
    from reconciler.render import RENDERERS

    comment = RENDERERS["markdown"](Plan(stacks=[]))
    assert comment == ("### obsctl plan\n\n**No stack to plan**: no config file under the paths "
                       "changed.\n")
