"""Apply a plan: each stack's changes kind by kind in dependency order (deletes in reverse),
within a kind in the waves of `Kind.order`, concurrently within a wave; stacks of different
account-regions side by side (links after the sinks other accounts' stacks make, see
`_rounds`). A failing resource is that resource's failure: the others go
on, and rerunning converges."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from reconciler.aws import AWS_ERRORS, describe_error
from reconciler.diagnostics import ObsctlError
from reconciler.engine import STACK_WORKERS, StackState
from reconciler.kinds import KINDS, apply_order
from reconciler.kinds.base import Kind
from reconciler.plan import Action, Change, Plan, StackPlan

APPLY_WORKERS = 8  # changes of one wave at once


@dataclass
class Outcome:
    change: Change
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def apply_stack(plan: StackPlan, state: StackState,
                on_outcome: Callable[[Outcome], None] = lambda _: None) -> list[Outcome]:
    """Creates and updates kind by kind in dependency order, deletes in reverse order;
    within a kind, in the waves of `Kind.order` (reversed for deletes). A failing resource
    is reported and the others go on; rerunning converges."""
    actionable = [c for c in plan.changes if c.action is not Action.CONFLICT]
    order = apply_order({c.kind for c in actionable})
    outcomes: list[Outcome] = []
    phases = [(kind, (Action.CREATE, Action.UPDATE)) for kind in order]
    phases += [(kind, (Action.DELETE,)) for kind in reversed(order)]
    for kind, actions in phases:
        batch = [c for c in actionable if c.kind == kind and c.action in actions]
        waves = KINDS[kind].order(batch)
        if Action.DELETE in actions:
            waves.reverse()  # what others name goes last
        for wave in waves:
            taken = _created_meanwhile(KINDS[kind], state, wave)
            with ThreadPoolExecutor(max_workers=APPLY_WORKERS) as pool:
                for outcome in pool.map(lambda c: taken.get(c.name) or _apply_one(c, state), wave):
                    outcomes.append(outcome)
                    on_outcome(outcome)
    return outcomes


def _created_meanwhile(kind: Kind, state: StackState, wave: list[Change]) -> dict[str, Outcome]:
    """Failed outcomes for the creates of `wave` whose name exists in AWS by now (someone
    created it after the plan read): create only what does not exist."""
    creates = [c for c in wave if c.action is Action.CREATE]
    if not creates:
        return {}
    try:
        existing = kind.existing(state.aws, [c.name for c in creates])
    except AWS_ERRORS as error:
        return {c.name: Outcome(c, "could not check that it still does not exist: "
                                   f"{describe_error(error)}") for c in creates}
    return {c.name: Outcome(c, "created in AWS by someone else since the plan read it; not "
                               "overwritten (plan again: it is a conflict unless it carries "
                               "this stack's tag)")
            for c in creates if c.name in existing}


def _apply_one(change: Change, state: StackState) -> Outcome:
    kind = KINDS[change.kind]
    desired = state.desired[change.kind].get(change.name)
    live = state.live[change.kind].get(change.name)
    try:
        if desired is not None and desired.resolve is not None:
            desired = desired.resolve()  # what it names exists by now (an earlier round made it)
        if change.action is Action.CREATE:
            kind.create(state.aws, desired)
        elif change.action is Action.UPDATE:
            kind.update(state.aws, desired, live)
        else:
            kind.delete(state.aws, live)
    except AWS_ERRORS as error:  # that resource's failure; the others go on
        return Outcome(change, describe_error(error))
    except ObsctlError as error:
        return Outcome(change, str(error))
    return Outcome(change)


def apply_all(plan: Plan, states: list[StackState],
              on_outcome: Callable[[Outcome], None] = lambda _: None) -> list[Outcome]:
    """Applies every stack of a plan: stacks in different account-regions side by side (their
    quotas are independent), those of one account-region one after another in plan order
    (they share its quota buckets, reconciler/ratelimit.py). `on_outcome` is called from one
    thread at a time."""
    groups: dict[tuple, list[tuple[StackPlan, StackState]]] = {}
    for stack_plan, state in zip(plan.stacks, states):
        groups.setdefault(state.aws.account_region, []).append((stack_plan, state))
    lock = threading.Lock()

    def report(outcome: Outcome) -> None:
        with lock:
            on_outcome(outcome)

    def apply_group(members: list[tuple[StackPlan, StackState]]) -> list[Outcome]:
        return [outcome for stack_plan, state in members
                for outcome in apply_stack(stack_plan, state, report)]

    with ThreadPoolExecutor(max_workers=max(1, min(len(groups), STACK_WORKERS))) as pool:
        return [outcome for round_ in _rounds(groups)
                for outcomes in pool.map(apply_group, round_) for outcome in outcomes]


def _rounds(groups: dict[tuple, list[tuple[StackPlan, StackState]]]) -> list[list]:
    """The account-region groups in two rounds, for kinds that wait for other accounts'
    changes (`Kind.after_other_accounts`): a group creating or updating such a kind goes
    after the groups creating or updating what it waits for, and a group deleting what
    such a kind waits for goes after the groups deleting that kind (links before sinks)."""
    def kinds(members, actions) -> set[str]:
        return {c.kind for stack_plan, _ in members for c in stack_plan.changes
                if c.action in actions}

    upserts = {key: kinds(members, (Action.CREATE, Action.UPDATE))
               for key, members in groups.items()}
    deletes = {key: kinds(members, (Action.DELETE,)) for key, members in groups.items()}

    def waits(key: tuple) -> bool:
        needed = {kind for name in upserts[key] for kind in KINDS[name].after_other_accounts}
        return any(needed & upserts[other] or
                   deletes[key] & {kind for name in deletes[other]
                                   for kind in KINDS[name].after_other_accounts}
                   for other in groups if other != key)

    later = {key for key in groups if waits(key)}
    return [[members for key, members in groups.items() if key not in later],
            [members for key, members in groups.items() if key in later]]
