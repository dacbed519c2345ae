"""Plan and apply: read every kind concurrently, diff by set algebra on names, apply in
dependency order. Kinds know AWS; the engine knows ownership, ordering and concurrency."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from botocore.exceptions import BotoCoreError, ClientError

from reconciler import applied
from reconciler.aws import AwsContext
from reconciler.config.stack import Stack
from reconciler.diagnostics import ObsctlError
from reconciler.kinds import KINDS, apply_order
from reconciler.kinds.base import Desired, Kind, Live
from reconciler.kinds.common import for_each, list_tags
from reconciler.plan import Action, Change, StackPlan, diff_fields

READ_WORKERS = 8
APPLY_WORKERS = 8


@dataclass(frozen=True)
class Target:
    """`--target KIND/NAME`; NAME may be a glob (`alarms/churn-*`)."""

    kind: str
    pattern: str

    @classmethod
    def parse(cls, text: str) -> "Target":
        kind, _, pattern = text.partition("/")
        if kind not in KINDS or not pattern:
            raise ObsctlError(f"--target {text!r}: expected KIND/NAME with KIND one of "
                              f"{', '.join(KINDS)}")
        return cls(kind, pattern)

    def matches(self, kind: str, name: str) -> bool:
        return kind == self.kind and fnmatch.fnmatchcase(name, self.pattern)


@dataclass
class PlanOptions:
    targets: tuple[Target, ...] = ()
    adopt: tuple[Target, ...] = ()  # `--adopt KIND/NAME`: take over untagged resources
    prune: bool = False
    allow_mass_delete: bool = False
    max_delete_share: float = 0.5
    max_delete_count: int = 20


@dataclass
class StackState:
    """What a plan was made from; apply needs it to act on Desired/Live objects."""

    stack: Stack
    aws: AwsContext
    desired: dict[str, dict[str, Desired]] = field(default_factory=dict)
    live: dict[str, dict[str, Live]] = field(default_factory=dict)
    # Names of every generated resource by kind, selected by --target or not: references to
    # them are checked at plan time (Kind.check_generated).
    generated: dict[str, set[str]] = field(default_factory=dict)


def fingerprint(live: Live | None) -> str | None:
    if live is None:
        return None
    canonical = json.dumps({"spec": live.spec, "tags": live.tags}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def selected_kinds(options: PlanOptions) -> list[Kind]:
    wanted = {t.kind for t in options.targets} or set(KINDS)
    return [KINDS[name] for name in apply_order(wanted)]


def read_state(stack: Stack, aws: AwsContext, kinds: list[Kind], prune: bool) -> StackState:
    """Desired (declared + generated) and live resources of `kinds`; every AWS read, live
    state and generators' discovery alike, runs concurrently, and the desired forms are
    computed meanwhile (the reads mostly wait on AWS)."""
    scope = aws.scope  # before the reads start: they use it too, and it costs a call
    state = StackState(stack, aws, desired={k.name: k.desired(stack, scope) for k in kinds})
    # Without --prune only declared or generated resources can change: a kind with neither
    # is not read at all (a stack of alarms makes no SageMaker or EventBridge call).
    needed = [k for k in kinds if prune or state.desired[k.name] or _generated_here(stack, k)]
    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
        reads = {k.name: pool.submit(k.read_live, aws, stack) for k in needed}
        generated = {g: pool.submit(g.generate, aws, stack, scope) for g in KINDS.values()}
        state.live = {k.name: reads[k.name].result() if k in needed else {} for k in kinds}
        for generator, future in generated.items():
            _merge_generated(state, generator, future.result())
    confirm_tags(state, kinds)
    return state


def confirm_tags(state: StackState, kinds: list[Kind]) -> None:
    """Tags of declared resources that the bulk tag read did not list, from their own service.

    The Resource Groups Tagging API is eventually consistent: right after an apply it may not
    list a resource created (and tagged) a moment ago, which would make the resource look
    unowned, a conflict. Resources it lists are settled; the rest (just created, or really
    untagged: conflicts and adoptions) are few, one call each.
    """
    unlisted = [live for kind in kinds if kind.taggable
                for name, live in state.live[kind.name].items()
                if live.tags is None and name in state.desired[kind.name]]
    for live, tags in zip(unlisted, for_each(unlisted,
                                             lambda live: list_tags(state.aws, live.identity["arn"]))):
        live.tags = tags
        if "tags" in live.spec:
            live.set_tags_of_spec(tags)


def _generated_here(stack: Stack, kind: Kind) -> bool:
    """Does a section of the stack generate resources of `kind` (see Kind.generates)?"""
    return any(kind.name in g.generates and g.section and stack.section(g.section)
               for g in KINDS.values())


def _merge_generated(state: StackState, generator: Kind,
                     generated: dict[str, dict[str, Desired]]) -> None:
    for kind, resources in generated.items():
        if kind not in generator.generates:  # its live state might not have been read
            raise RuntimeError(f"{generator.name} generated {kind} but does not list it in "
                               "`generates`")
        state.generated.setdefault(kind, set()).update(resources)
        if kind not in state.desired:
            continue  # not selected by --target
        declared = state.desired[kind]
        for name, desired in resources.items():
            if name in declared:
                first = declared[name].origin or declared[name].location or "the config"
                raise ObsctlError(f"{kind}/{name} from {desired.origin} collides with the one "
                                  f"from {first}; rename one of them")
            declared[name] = desired


def plan_stack(stack: Stack, aws: AwsContext, options: PlanOptions) -> tuple[StackPlan, StackState]:
    kinds = selected_kinds(options)
    state = read_state(stack, aws, kinds, options.prune)
    _check_generated_references(stack, state)
    plan = StackPlan(stack=stack.name, region=aws.region, config_digest=stack.digest)
    for kind in kinds:
        state.desired[kind.name] = kind.settle(aws, stack, state.desired[kind.name],
                                               state.live[kind.name], partial(_prunes, options))
        desired, live = state.desired[kind.name], state.live[kind.name]
        for name in sorted(set(desired) | set(live)):
            if options.targets and not any(t.matches(kind.name, name) for t in options.targets):
                continue
            wanted = desired.get(name)
            if wanted and any(t.matches(kind.name, name) for t in options.adopt):
                wanted.adopt = True
            change = _compare(stack, kind, wanted, live.get(name), options.prune)
            if desired.get(name) or _owned(stack, kind, live[name]):
                plan.live_fingerprints[f"{kind.name}/{name}"] = fingerprint(live.get(name)) or ""
                if not desired.get(name) and not options.prune:
                    plan.unmanaged_owned.append(f"{kind.name}/{name}")
            if change:
                plan.changes.append(change)
    plan.unmanaged_owned.sort()
    _guard_mass_delete(plan, state, options)
    return plan, state


def _prunes(options: PlanOptions, kind: str, name: str) -> bool:
    """Does a plan made with `options` delete `kind/name`, if the stack owns it and the
    config does not declare it?"""
    return options.prune and (not options.targets
                              or any(t.matches(kind, name) for t in options.targets))


def _check_generated_references(stack: Stack, state: StackState) -> None:
    """References validation left to plan time (alarms of discovered endpoints), now that
    every generated name is known: a name nothing generates fails the plan before any write."""
    problems = [d for kind in KINDS.values() for d in kind.check_generated(stack, state.generated)]
    if problems:
        lines = "\n".join(f"{d.location}: {d.message}" + (f" ({d.hint})" if d.hint else "")
                          for d in problems)
        raise ObsctlError(f"{lines}\n(stack {stack.name!r}: nothing was changed)")


def _owned(stack: Stack, kind: Kind, live: Live) -> bool:
    if kind.taggable:
        return live.owner == stack.name
    return stack.owns_by_pattern(kind.name, live.name)


def _claims(stack: Stack, kind: Kind, name: str) -> bool:
    """May the stack change an existing resource it declares?

    Taggable kinds: only when it carries this stack's tag. Untaggable kinds: declaring the
    name claims it, unless the stack lists `prune` patterns for the kind and none matches.
    """
    if kind.taggable:
        return False
    return not stack.prune_patterns(kind.name) or stack.owns_by_pattern(kind.name, name)


def _compare(stack: Stack, kind: Kind, desired: Desired | None, live: Live | None,
             prune: bool) -> Change | None:
    if desired and live:
        adopting = desired.adopt and kind.taggable and live.owner is None
        if not (adopting or _owned(stack, kind, live) or _claims(stack, kind, live.name)):
            owner = live.owner or "no owner tag"
            return Change(name=live.name, action=Action.CONFLICT, before=None, after=desired.spec,
                          reason=f"exists in AWS but is not owned by stack {stack.name!r} ({owner})",
                          **_change_base(stack, kind, desired, live))
        before = kind.comparable(live.spec, desired.spec)
        # Specs only: a last-applied marker that is missing or stale makes no change on its own
        # (reconciler/applied.py); the next create or update writes it.
        if before == desired.spec:  # most resources of a plan
            return None
        reason = "adopting: it has no owner tag yet" if adopting else None
        return Change(name=live.name, action=Action.UPDATE, before=before, after=desired.spec,
                      fields=diff_fields(before, desired.spec), reason=reason,
                      cause=applied.cause(live.applied, before, desired.spec),
                      **_change_base(stack, kind, desired, live))
    if desired:
        return Change(name=desired.name, action=Action.CREATE, before=None, after=desired.spec,
                      **_change_base(stack, kind, desired, live))
    if live and prune and _owned(stack, kind, live):
        reason = (f"tagged obsctl:stack={stack.name}" if kind.taggable
                  else f"matches prune pattern of {kind.name}")
        return Change(name=live.name, action=Action.DELETE, before=live.spec,
                      after=None, reason=f"not in config; {reason}",
                      **_change_base(stack, kind, desired, live))
    return None


def _change_base(stack: Stack, kind: Kind, desired: Desired | None, live: Live | None) -> dict:
    # Only for the resources that change: the fingerprint is a JSON dump and a hash.
    return dict(stack=stack.name, kind=kind.name, origin=desired.origin if desired else None,
                fingerprint=fingerprint(live))


def _guard_mass_delete(plan: StackPlan, state: StackState, options: PlanOptions) -> None:
    deletes = sum(1 for c in plan.changes if c.action is Action.DELETE)
    if not deletes or options.allow_mass_delete:
        return
    owned = sum(1 for kind in state.live for live in state.live[kind].values()
                if _owned(state.stack, KINDS[kind], live))
    share = deletes / max(owned, 1)
    if deletes > options.max_delete_count or share > options.max_delete_share:
        raise ObsctlError(
            f"stack {plan.stack!r}: refusing to delete {deletes} of {owned} owned resources "
            f"({share:.0%}; limits: {options.max_delete_count} resources or "
            f"{options.max_delete_share:.0%}). Check the config, or pass --allow-mass-delete.")


# --- apply -----------------------------------------------------------------------------

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
            with ThreadPoolExecutor(max_workers=APPLY_WORKERS) as pool:
                for outcome in pool.map(lambda c: _apply_one(c, state), wave):
                    outcomes.append(outcome)
                    on_outcome(outcome)
    return outcomes


def _apply_one(change: Change, state: StackState) -> Outcome:
    kind = KINDS[change.kind]
    desired = state.desired[change.kind].get(change.name)
    live = state.live[change.kind].get(change.name)
    try:
        if change.action is Action.CREATE:
            kind.create(state.aws, desired)
        elif change.action is Action.UPDATE:
            kind.update(state.aws, desired, live)
        else:
            kind.delete(state.aws, live)
    except ClientError as error:
        info = error.response.get("Error", {})
        return Outcome(change, f"{info.get('Code', 'Error')}: {info.get('Message', error)}")
    except (BotoCoreError, ObsctlError) as error:
        return Outcome(change, str(error))
    return Outcome(change)
