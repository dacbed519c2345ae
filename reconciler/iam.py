"""Least-privilege IAM policies for running obsctl on a set of stacks (`obsctl iam-policy`).

Each kind declares the IAM actions it calls (`Kind.iam_read`, `Kind.iam_write`) and the ARNs
its writes touch (`Kind.iam_resources`); this module only assembles them, from the config
alone (no AWS call):

- the plan policy: every read action of the kinds the stacks use, on "*" (List/Describe
  actions mostly authorize on no resource type; reads change nothing);
- the apply policy: the plan policy, plus each kind's writes on the ARNs of the stacks'
  resources of that kind (generated ones by name glob), except writes that AWS authorizes on
  no resource type, or not by name (UNSCOPED_WRITES), which are granted on "*".

The account in the ARNs is the stack's `role_arn`'s (obsctl runs as that role), else "*"; the
region is the stack's, else "*". `sts:GetCallerIdentity` is listed although AWS grants it to
everyone. `plan --explain-drift` also needs `cloudtrail:LookupEvents` (EXPLAIN_DRIFT_READ).

The troubleshooting commands get policies of their own (`command_policy`), so on-call can run
them with less than the plan role: `status` (alarm states, history and owner tags, plus the
reads of the presets that generate alarms), `test-alarm` (the states, the alarm tags it checks,
and SetAlarmState on the stacks' alarms only) and `query` (StartQuery on the saved queries' log
groups only).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Iterable

from reconciler.aws import Scope

if TYPE_CHECKING:
    from reconciler.config.stack import Stack
    from reconciler.kinds.base import Kind

POLICY_VERSION = "2012-10-17"
COMMON_READ = ("sts:GetCallerIdentity",)
EXPLAIN_DRIFT_READ = ("cloudtrail:LookupEvents",)
# Writes the Service Authorization Reference lists with no resource type, or whose resource
# ARN carries no name (Application Auto Scaling's scalable-target/<random id>): "*" only.
UNSCOPED_WRITES = frozenset({
    "application-autoscaling:DeleteScalingPolicy",
    "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:PutScalingPolicy",
    "application-autoscaling:RegisterScalableTarget",
    "logs:DeleteQueryDefinition",
    "logs:PutQueryDefinition",
    "sns:Unsubscribe",
})
# status also reads whose each alarm is: the bulk tag read, then the alarms it does not list.
STATUS_READ = ("cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory", "tag:GetResources",
               "cloudwatch:ListTagsForResource")
TEST_ALARM_READ = ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource")
# Logs Insights: StartQuery is authorized on the log groups; reading and stopping a running
# query are on no resource type.
QUERY_READ = ("logs:GetQueryResults", "logs:StopQuery")
ALARM_KINDS = ("alarms", "composite_alarms")
COMMANDS = ("status", "test-alarm", "query")
_FNMATCH_SET = re.compile(r"\[[^\]]*\]")


def iam_glob(name: str) -> str:
    """A name or `fnmatch` glob as an IAM ARN pattern: IAM knows `*` and `?` but no `[...]`,
    which becomes `?` (one character: the pattern may only grow)."""
    return _FNMATCH_SET.sub("?", name)


def scope_of(stack: "Stack") -> Scope:
    """The stack's region and account as far as the config tells: "*" where it does not."""
    role_arn = stack.config.role_arn or ""
    parts = role_arn.split(":")
    account = parts[4] if len(parts) > 4 and parts[4] else "*"
    partition = parts[1] if len(parts) > 1 and parts[1] else "aws"
    return Scope(region=stack.region or "*", account_id=account, partition=partition)


# ARNs by resource type, as the Service Authorization Reference spells them.

def alarm_arns(scope: Scope, names: Iterable[str]) -> list[str]:
    return [scope.arn("cloudwatch", f"alarm:{iam_glob(n)}") for n in names]


def dashboard_arns(scope: Scope, names: Iterable[str]) -> list[str]:
    return [scope.arn("cloudwatch", f"dashboard/{iam_glob(n)}", region="") for n in names]


def log_group_arns(scope: Scope, names: Iterable[str]) -> list[str]:
    """Both forms: Logs authorizes some actions on `log-group:NAME`, others on the group's
    streams (`log-group:NAME:log-stream:...`)."""
    arns = []
    for name in names:
        arn = scope.arn("logs", f"log-group:{iam_glob(name)}")
        arns += [arn] if arn.endswith("*") else [arn, f"{arn}:*"]
    return arns


def topic_arns(scope: Scope, names: Iterable[str]) -> list[str]:
    return [scope.arn("sns", iam_glob(n)) for n in names]


def event_rule_arns(scope: Scope, rules: Iterable[tuple[str, str]]) -> list[str]:
    """(bus, rule name) pairs; rules on the default bus have no bus in their ARN."""
    return [scope.arn("events", f"rule/{iam_glob(r)}" if bus == "default"
                      else f"rule/{iam_glob(bus)}/{iam_glob(r)}") for bus, r in rules]


def sagemaker_arns(scope: Scope, resource_type: str, names: Iterable[str]) -> list[str]:
    """SageMaker writes names into its ARNs in lower case."""
    return [scope.arn("sagemaker", f"{resource_type}/{iam_glob(n).lower()}") for n in names]


# Assembling the policies.

def names_by_kind(stack: "Stack", kinds: dict[str, "Kind"]) -> dict[str, list[str]]:
    """Names or name globs of every resource of each kind the stack declares or generates,
    and the `prune:` patterns of names `apply --prune` may delete."""
    found: dict[str, set[str]] = {}
    for kind in kinds.values():
        declared = set(kind.declared_names(stack)) | set(stack.prune_patterns(kind.name))
        if declared:
            found.setdefault(kind.name, set()).update(declared)
        for generated in kind.generates:
            globs = kind.iam_name_globs(stack, generated)
            if globs:
                found.setdefault(generated, set()).update(globs)
    return {name: sorted(found[name]) for name in kinds if name in found}


def used_kinds(stack: "Stack", kinds: dict[str, "Kind"]) -> list["Kind"]:
    """Kinds that plan reads for this stack: those with resources, and generators in use."""
    names = names_by_kind(stack, kinds)
    return [kind for kind in kinds.values()
            if kind.name in names or (kind.generates and kind.section and stack.section(kind.section))]


def policy(stacks: list["Stack"], kinds: dict[str, "Kind"], apply: bool,
           explain_drift: bool = False, prune: bool = False) -> dict:
    """The IAM policy document that lets obsctl plan (or apply) `stacks`. With `prune`, the
    reads of every kind: `plan --prune` reads each kind, to find the stack's resources of
    kinds its config no longer uses."""
    reads: set[str] = set(COMMON_READ) | (set(EXPLAIN_DRIFT_READ) if explain_drift else set())
    if prune:
        reads.update(action for kind in kinds.values() for action in kind.iam_read)
    unscoped: set[str] = set()
    scoped: dict[str, tuple[set[str], set[str]]] = {}  # kind -> (actions, resources)
    for stack in stacks:
        scope, names = scope_of(stack), names_by_kind(stack, kinds)
        for kind in used_kinds(stack, kinds):
            reads.update(kind.iam_read)
            if not apply or not kind.iam_write:
                continue
            resources = kind.iam_resources(stack, scope, names.get(kind.name, []))
            for action in kind.iam_write:
                if action in UNSCOPED_WRITES or "*" in resources:
                    unscoped.add(action)
                else:
                    actions, arns = scoped.setdefault(kind.name, (set(), set()))
                    actions.add(action)
                    arns.update(resources)
    statements = [_statement("ObsctlRead", reads, {"*"})]
    if unscoped:
        statements.append(_statement("ObsctlWriteAnyResource", unscoped, {"*"}))
    for kind_name in kinds:
        if kind_name in scoped:
            actions, arns = scoped[kind_name]
            statements.append(_statement(f"ObsctlWrite{_camel(kind_name)}", actions, arns))
    return {"Version": POLICY_VERSION, "Statement": statements}


def command_policy(command: str, stacks: list["Stack"], kinds: dict[str, "Kind"]) -> dict:
    """The IAM policy document that lets obsctl run `command` (one of COMMANDS) on `stacks`."""
    if command == "query":
        return _query_policy(stacks)
    reads = set(COMMON_READ) | set(STATUS_READ if command == "status" else TEST_ALARM_READ)
    alarms: set[str] = set()
    for stack in stacks:
        names = names_by_kind(stack, kinds)
        for kind in used_kinds(stack, kinds):
            if set(kind.generates) & set(ALARM_KINDS):
                reads.update(kind.iam_read)  # a preset discovers what it generates alarms for
        for kind in ALARM_KINDS:
            alarms.update(alarm_arns(scope_of(stack), names.get(kind, [])))
    statements = [_statement("ObsctlRead", reads, {"*"})]
    if command == "test-alarm" and alarms:
        statements.append(_statement("ObsctlTestAlarm", {"cloudwatch:SetAlarmState"}, alarms))
    return {"Version": POLICY_VERSION, "Statement": statements}


def _query_policy(stacks: list["Stack"]) -> dict:
    groups = {arn for stack in stacks for query in (stack.section("queries") or {}).values()
              for arn in log_group_arns(scope_of(stack), query.log_groups)}
    statements = [_statement("ObsctlRead", set(COMMON_READ) | set(QUERY_READ), {"*"})]
    if groups:
        statements.append(_statement("ObsctlStartQuery", {"logs:StartQuery"}, groups))
    return {"Version": POLICY_VERSION, "Statement": statements}


def assumed_roles(stacks: list["Stack"]) -> list[str]:
    """The roles obsctl assumes: the identity that runs it needs sts:AssumeRole on them."""
    return sorted({s.config.role_arn for s in stacks if s.config.role_arn})


def render(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"


def _statement(sid: str, actions: set[str], resources: set[str]) -> dict:
    ordered = sorted(resources)
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions),
            "Resource": ordered[0] if ordered == ["*"] else ordered}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
