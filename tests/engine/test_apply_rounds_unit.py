"""Applying several account-regions: links wait for the sinks other accounts' stacks make,
and sinks for the links other stacks delete (`Kind.after_other_accounts`); the rest side by side."""

from __future__ import annotations

from reconciler.apply import _rounds
from reconciler.plan import Action, Change, StackPlan


def group(stack: str, *changes: tuple[str, Action]) -> list:
    plan = StackPlan(stack=stack, region="us-east-1",
                     changes=[Change(stack, kind, f"{kind}-{i}", action, None, None)
                              for i, (kind, action) in enumerate(changes)])
    return [(plan, None)]


def stacks_of(rounds) -> list[list[str]]:
    return [[members[0][0].stack for members in round_] for round_ in rounds]


def test_links_are_created_after_the_sinks_of_other_accounts():
    groups = {("a",): group("source", ("observability_links", Action.CREATE)),
              ("b",): group("monitoring", ("observability_sinks", Action.CREATE),
                            ("dashboards", Action.CREATE)),
              ("c",): group("alarms", ("alarms", Action.CREATE))}
    assert stacks_of(_rounds(groups)) == [["monitoring", "alarms"], ["source"]]


def test_sinks_are_deleted_after_the_links_of_other_accounts():
    groups = {("a",): group("source", ("observability_links", Action.DELETE)),
              ("b",): group("monitoring", ("observability_sinks", Action.DELETE))}
    assert stacks_of(_rounds(groups)) == [["source"], ["monitoring"]]


def test_without_such_kinds_every_group_runs_at_once():
    groups = {("a",): group("source", ("observability_links", Action.UPDATE)),
              ("b",): group("monitoring", ("observability_sinks", Action.DELETE)),
              ("c",): group("conflicts", ("observability_sinks", Action.CONFLICT))}
    assert stacks_of(_rounds(groups)) == [["source", "monitoring", "conflicts"], []]
