"""reconciler/iam.py: the policies are built from the config alone, read-only for plan, writes
scoped by name for apply, and every AWS operation obsctl's kinds call is covered."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

from reconciler import iam
from reconciler.aws import is_write
from reconciler.config import load_stacks
from reconciler.kinds import KINDS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
# botocore service -> IAM prefix, for the services the kinds call.
SERVICES = {"cloudwatch": "cloudwatch", "logs": "logs", "sns": "sns", "events": "events",
            "sagemaker": "sagemaker", "application-autoscaling": "application-autoscaling",
            "resourcegroupstaggingapi": "tag", "sts": "sts", "lambda": "lambda", "oam": "oam"}


def _policy(path, apply: bool, **options) -> dict:
    return iam.policy(load_stacks([str(path)], KINDS), KINDS, apply=apply, **options)


def _actions(document: dict) -> set[str]:
    return {a for s in document["Statement"] for a in s["Action"]}


def _statement(document: dict, sid: str) -> dict:
    return next(s for s in document["Statement"] if s["Sid"] == sid)


@pytest.mark.parametrize("example", ["sagemaker-endpoint", "ml-platform"])
def test_plan_policy_is_read_only_on_any_resource(example):
    document = _policy(EXAMPLES / example, apply=False)
    assert document["Version"] == "2012-10-17"
    assert [s["Sid"] for s in document["Statement"]] == ["ObsctlRead"]
    assert document["Statement"][0]["Resource"] == "*"
    assert not [a for a in _actions(document) if is_write(a.split(":", 1)[1])]


@pytest.mark.parametrize("example", ["sagemaker-endpoint", "ml-platform"])
def test_apply_policy_adds_writes_and_is_deterministic(example):
    document = _policy(EXAMPLES / example, apply=True)
    assert document == _policy(EXAMPLES / example, apply=True)
    sids = [s["Sid"] for s in document["Statement"]]
    assert len(sids) == len(set(sids))
    assert _actions(_policy(EXAMPLES / example, apply=False)) < _actions(document)
    for statement in document["Statement"]:
        assert statement["Action"] == sorted(statement["Action"])


def test_writes_are_scoped_to_the_stack_s_resources(tmp_path):
    (tmp_path / "stack.yaml").write_text(textwrap.dedent("""\
        stack: s
        region: eu-west-1
        role_arn: arn:aws:iam::111122223333:role/obsctl
        topics:
          pager: {}
        log_groups:
          /app/api:
            metric_filters:
              errors: {pattern: ERROR, metric: {namespace: App, name: Errors, value: "1"}}
        alarms:
          api-errors:
            metric: {namespace: App, name: Errors, stat: Sum, period: 60}
            when: "> 1"
            evaluation_periods: 1
        dashboards:
          api: {widgets: [{type: text, markdown: hi}]}
        """))
    document = _policy(tmp_path, apply=True)
    assert _statement(document, "ObsctlWriteAlarms")["Resource"] == [
        "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:api-errors"]
    assert _statement(document, "ObsctlWriteDashboards")["Resource"] == [
        "arn:aws:cloudwatch::111122223333:dashboard/api"]
    assert _statement(document, "ObsctlWriteTopics")["Resource"] == [
        "arn:aws:sns:eu-west-1:111122223333:pager"]
    groups = ["arn:aws:logs:eu-west-1:111122223333:log-group:/app/api",
              "arn:aws:logs:eu-west-1:111122223333:log-group:/app/api:*"]
    assert _statement(document, "ObsctlWriteLogGroups")["Resource"] == groups
    assert _statement(document, "ObsctlWriteMetricFilters")["Resource"] == groups
    # Unsubscribe takes no resource type: "*", as the Service Authorization Reference says.
    assert _statement(document, "ObsctlWriteAnyResource")["Action"] == ["sns:Unsubscribe"]
    # Kinds the stack does not use are not in the policy.
    assert not [a for a in _actions(document) if a.startswith(("sagemaker:", "events:"))]
    assert iam.assumed_roles(load_stacks([str(tmp_path)], KINDS)) == [
        "arn:aws:iam::111122223333:role/obsctl"]


def test_generated_resources_are_scoped_by_name_glob():
    document = _policy(EXAMPLES / "ml-platform", apply=True)
    alarms = _statement(document, "ObsctlWriteAlarms")["Resource"]
    assert "arn:aws:cloudwatch:us-east-1:*:alarm:prod-*-*" in alarms  # endpoint_monitors
    log_groups = _statement(document, "ObsctlWriteLogGroups")["Resource"]
    assert "arn:aws:logs:us-east-1:*:log-group:/aws/sagemaker/Endpoints/prod-*" in log_groups


def test_prune_patterns_are_in_the_scope_of_the_writes():
    document = _policy(EXAMPLES / "sagemaker-endpoint", apply=True)  # prune.dashboards: ml-churn-*
    assert _statement(document, "ObsctlWriteDashboards")["Resource"] == [
        "arn:aws:cloudwatch::*:dashboard/ml-churn-*", "arn:aws:cloudwatch::*:dashboard/ml-churn-overview"]


def test_explain_drift_adds_cloudtrail_lookup():
    assert "cloudtrail:LookupEvents" not in _actions(_policy(EXAMPLES / "sagemaker-endpoint", False))
    assert "cloudtrail:LookupEvents" in _actions(_policy(EXAMPLES / "sagemaker-endpoint", False,
                                                         explain_drift=True))


def test_iam_glob_has_no_character_sets():
    assert iam.iam_glob("prod-[ab]*") == "prod-?*"
    assert iam.iam_glob("plain") == "plain"


def _operations() -> dict[str, list[str]]:
    """snake_case operation name -> IAM actions of that name in the services the kinds call."""
    session, found = botocore.session.get_session(), {}
    for service, prefix in SERVICES.items():
        for operation in session.get_service_model(service).operation_names:
            found.setdefault(xform_name(operation), []).append(f"{prefix}:{operation}")
    return found


def _called(path: Path, operations: dict[str, list[str]]) -> dict[str, list[str]]:
    """Operations a module calls: `client.op(...)`, and names given as strings
    (`get_paginator("op")`); dynamic names (f-strings) are not seen."""
    called = {}
    for node in ast.walk(ast.parse(path.read_text())):
        name = (node.func.attr if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                else node.value if isinstance(node, ast.Constant) and isinstance(node.value, str)
                else None)
        if name in operations:
            called[name] = operations[name]
    return called


def test_every_operation_the_kinds_call_is_declared_by_their_kind():
    operations = _operations()
    every = {a for kind in KINDS.values() for a in (*kind.iam_read, *kind.iam_write)}
    every |= set(iam.COMMON_READ)
    missing = []
    kinds_dir = ROOT / "reconciler" / "kinds"
    scanned = 0
    for path in sorted(kinds_dir.rglob("*.py")):
        # A kind is a module (kinds/topics.py) or a package (kinds/alarms/*.py).
        group = path.relative_to(kinds_dir).parts[0].removesuffix(".py")
        kinds = [k for k in KINDS.values()
                 if type(k).__module__.startswith(f"reconciler.kinds.{group}")
                 and type(k).__module__ in (f"reconciler.kinds.{group}",
                                            f"reconciler.kinds.{group}.kind")]
        declared = ({a for k in kinds for a in (*k.iam_read, *k.iam_write)} if kinds else every)
        called = _called(path, operations)
        scanned += bool(called)
        for name, actions in called.items():
            if not declared & set(actions):
                missing.append(f"{path.relative_to(kinds_dir)}: {name} ({' or '.join(actions)})")
    assert not missing
    assert scanned >= 10  # the kinds' packages are read too, not only top-level modules


@pytest.mark.parametrize("example,purpose", [("ml-platform", "plan"), ("ml-platform", "apply"),
                                             ("sagemaker-endpoint", "plan")])
def test_the_readme_shows_the_policies_obsctl_prints(example, purpose):
    printed = iam.render(_policy(EXAMPLES / example, apply=purpose == "apply"))
    assert f"```json\n{printed}```" in (ROOT / "README.md").read_text()
