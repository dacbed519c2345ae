"""Composite alarms follow their children, as CloudWatch evaluates them.

When an alarm changes state, every composite alarm whose rule names it is evaluated again:
``ALARM(x)``, ``OK(x)``, ``INSUFFICIENT_DATA(x)`` are true when alarm x is in that state,
``TRUE``/``FALSE`` are constants, ``NOT`` binds tighter than ``AND``, which binds tighter than
``OR``. A true rule puts the composite in ALARM, a false one in OK. A change is recorded and
notified like any other state change (``cloudwatch_history``), with the child that triggered it
in the notification's ``TriggeringChildren``; a composite whose ActionsSuppressor alarm is in
ALARM changes state but runs no actions.
"""

from __future__ import annotations

from typing import Any, Callable

from moto.cloudwatch.models import Alarm, CloudWatchBackend

from ._alarm_rule import rule_references, tokenize


def _name(ref: str) -> str:
    return ref.split(":alarm:", 1)[1] if ref.startswith("arn:") and ":alarm:" in ref else ref


def evaluate(rule: str, state_of: Callable[[str], str | None]) -> bool:
    """The rule's value, given each child's state (the rule was validated on PutCompositeAlarm)."""
    tokens, i = [(kind, _name(text)) for kind, text, _ in tokenize(rule)], 0

    def disjunction() -> bool:
        nonlocal i
        value = conjunction()
        while i < len(tokens) and tokens[i][0] == "OR":
            i += 1
            value = conjunction() or value
        return value

    def conjunction() -> bool:
        nonlocal i
        value = negation()
        while i < len(tokens) and tokens[i][0] == "AND":
            i += 1
            value = negation() and value
        return value

    def negation() -> bool:
        nonlocal i
        kind, name = tokens[i]
        i += 1
        if kind == "NOT":
            return not negation()
        if kind == "(":
            value = disjunction()
            i += 1  # ")"
            return value
        if kind in ("TRUE", "FALSE"):
            return kind == "TRUE"
        return state_of(name) == kind

    return disjunction()


def _iso(ts: Any) -> str:
    from .cloudwatch_history import _iso as iso

    return iso(ts)


def suppressed(backend: CloudWatchBackend, alarm: Alarm) -> bool:
    suppressor = getattr(alarm, "actions_suppressor", None)
    if not suppressor:
        return False
    other = backend.alarms.get(_name(suppressor))
    return other is not None and other.state_value == "ALARM"


def propagate(backend: CloudWatchBackend, child: Alarm) -> None:
    """Re-evaluate the composites that name ``child`` after its state changed."""
    def state_of(name: str) -> str | None:
        alarm = backend.alarms.get(name)
        return alarm.state_value if alarm else None

    for parent in list(backend.alarms.values()):
        if parent.rule is None or child.name not in {_name(r) for r in rule_references(parent.rule)}:
            continue
        new_state = "ALARM" if evaluate(parent.rule, state_of) else "OK"
        if new_state == parent.state_value:
            continue
        parent.obsctl_triggering_children = [{
            "Arn": child.alarm_arn,
            "State": {"Value": child.state_value, "Timestamp": _iso(child.state_updated_timestamp)},
        }]
        reason = (f"{child.alarm_arn} transitioned to {child.state_value} at "
                  f"{child.state_updated_timestamp.strftime('%A %d %B, %Y %H:%M:%S UTC')}")
        backend.set_alarm_state(parent.name, reason, None, new_state)
