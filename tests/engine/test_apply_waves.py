"""apply_stack runs a kind's changes in the waves of `Kind.order`, deletes in reverse."""

from __future__ import annotations

from types import SimpleNamespace

from reconciler.apply import apply_stack
from reconciler.engine import StackState
from reconciler.kinds import KINDS
from reconciler.kinds.base import Desired, Live
from reconciler.plan import Action, Change, StackPlan

KIND = "composite_alarms"


def change(name: str, rule: str, action: Action) -> Change:
    spec = {"rule": rule}
    return Change(stack="s", kind=KIND, name=name, action=action,
                  before=spec if action is Action.DELETE else None,
                  after=None if action is Action.DELETE else spec)


def run(monkeypatch, changes: list[Change]) -> list[tuple[str, str]]:
    applied: list[tuple[str, str]] = []
    kind = KINDS[KIND]
    monkeypatch.setattr(kind, "create", lambda aws, desired: applied.append(("create", desired.name)))
    monkeypatch.setattr(kind, "delete", lambda aws, live: applied.append(("delete", live.name)))
    monkeypatch.setattr(kind, "existing", lambda aws, names: set())  # nothing created meanwhile
    state = StackState(stack=SimpleNamespace(name="s"), aws=None,
                       desired={KIND: {c.name: Desired(c.name, c.after) for c in changes if c.after}},
                       live={KIND: {c.name: Live(c.name, c.before) for c in changes if c.before}})
    outcomes = apply_stack(StackPlan(stack="s", region="us-east-1", changes=changes), state)
    assert all(o.ok for o in outcomes)
    return applied


def test_creates_follow_the_waves(monkeypatch):
    applied = run(monkeypatch, [change("top", "ALARM(mid)", Action.CREATE),
                                change("mid", "ALARM(leaf)", Action.CREATE),
                                change("leaf", "ALARM(metric)", Action.CREATE)])
    assert applied == [("create", "leaf"), ("create", "mid"), ("create", "top")]


def test_deletes_run_the_waves_backwards(monkeypatch):
    applied = run(monkeypatch, [change("leaf", "ALARM(metric)", Action.DELETE),
                                change("top", "ALARM(leaf)", Action.DELETE)])
    assert applied == [("delete", "top"), ("delete", "leaf")]


def test_a_kind_without_order_is_one_wave():
    changes = [change("a", "TRUE", Action.CREATE), change("b", "TRUE", Action.CREATE)]
    assert KINDS["alarms"].order(changes) == [changes]
