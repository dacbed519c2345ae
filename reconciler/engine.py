"""Plan: read every kind concurrently, diff by set algebra on names, apply the rules across
the stacks of a run. Kinds know AWS; the engine knows ownership and concurrency; applying the
plan is reconciler/apply.py."""

from __future__ import annotations

import contextlib
import fnmatch
import gc
import hashlib
import json
import shlex
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Iterator, TypeVar

from reconciler import applied
from reconciler.aws import AwsContext
from reconciler.config.stack import Stack
from reconciler.diagnostics import ObsctlError
from reconciler.kinds import KINDS, apply_order
from reconciler.kinds.base import Desired, Kind, Live
from reconciler.kinds.common import for_each, list_tags
from reconciler.plan import (Action, Change, Kept, Plan, StackPlan, address, diff_fields,
                             split_address)
from reconciler.references import RunStacks, refuse_outside_references
from reconciler.text import plural, visible

READ_WORKERS = 8
STACK_WORKERS = 8  # stacks planned at once
MASS_DELETE_LISTED = 20  # addresses a mass-delete refusal lists
T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """`--target KIND/NAME` (or `KIND:NAME`, as plans print names that start with `/`); NAME
    may be a glob (`alarms/churn-*`)."""

    kind: str
    pattern: str

    @classmethod
    def parse(cls, text: str) -> "Target":
        kind, pattern = split_address(text)
        if kind not in KINDS or not pattern:
            raise ObsctlError(f"--target {text!r}: expected KIND/NAME (or KIND:/NAME for a name "
                              f"that starts with /) with KIND one of {', '.join(KINDS)}")
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
        generated = {g: pool.submit(g.generate, aws, stack, scope) for g in KINDS.values()
                     if g.generates}
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
                raise ObsctlError(f"{address(kind, name)} from {desired.origin} collides with "
                                  f"the one from {first}; rename one of them")
            declared[name] = desired


def plan_all(stacks: list[Stack], make_aws: Callable[[Stack], AwsContext],
             options: PlanOptions, progress=None) -> tuple[Plan, list[StackState]]:
    """Plans every stack of a run (concurrently: each mostly waits on its own AWS reads), then
    applies the rules that need them all: two stacks working in the same account and region
    may not declare the same resource (refused), and a delete of a resource another stack
    declares is dropped (kept, with the reason). `make_aws(stack)` gives a stack's clients;
    `progress` (total/advance) counts stacks planned."""
    refuse_outside_references(stacks, selected_kinds(options))
    run = RunStacks(stacks, make_aws)
    if progress:
        progress.total(len(stacks))

    def plan_one(stack: Stack) -> tuple[StackPlan, StackState]:
        result = plan_changes(stack, run.aws_of(stack.name), options, run)
        if progress:
            progress.advance()
        return result

    places = stacks_by_place(stacks)
    with fewer_collections():
        planned = plan_place_by_place(places, lambda index: plan_one(stacks[index]))
    for index in interleaved(places):  # of several failures, the first in turn is reported
        planned[index].result()
    results = [planned[index].result() for index in range(len(stacks))]
    plans, states = [plan for plan, _ in results], [state for _, state in results]
    claims = [Claims.of(state) for state in states]
    refuse_shared_names(claims)
    keep_declared(plans, claims)
    for plan, state in zip(plans, states):
        _guard_mass_delete(plan, state, options)
    return Plan(stacks=plans), states


@contextlib.contextmanager
def fewer_collections(young_threshold: int = 50_000) -> Iterator[None]:
    """Cyclic garbage collection seldom while the stacks are planned: parsing the listings'
    pages builds hundreds of thousands of small containers, and CPython's default (a young
    collection every 700) spent about a third of a 160-stack plan's CPU collecting, holding
    the GIL the reads need (measured: 1.5 s of 3.4 s; 0.1 s with this). What exists before
    (imports, the loaded config) outlives the plan: frozen meanwhile, no collection walks it.
    Reference counting frees as usual; cycles wait for the next collection."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], young_threshold), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def stacks_by_place(stacks: list[Stack]) -> list[list[int]]:
    """Indexes of `stacks` by place (region, role, profile: where their reads go)."""
    places: dict[tuple, list[int]] = {}
    for index, stack in enumerate(stacks):
        config = stack.config
        places.setdefault((stack.region, config.role_arn, config.profile), []).append(index)
    return list(places.values())


def interleaved(places: list[list[int]]) -> list[int]:
    """One index of each place in turn."""
    return [queue[turn] for turn in range(max(map(len, places), default=0))
            for queue in places if turn < len(queue)]


def plan_place_by_place(places: list[list[int]], plan: Callable[[int], T]
                        ) -> dict[int, Future[T]]:
    """Runs `plan(index)` for every index of `places`, STACK_WORKERS at once: first one of each
    place, all places side by side (that one reads the place's listings), then the rest of
    a place once its first is done (they share those listings, aws.SharedReads). A worker
    never waits on a listing another stack is reading while stacks whose listings are read
    could be planned: one region of many alarms would otherwise hold every worker."""
    futures: dict[int, Future[T]] = {}
    workers = max(1, min(sum(map(len, places)), STACK_WORKERS))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        firsts = {pool.submit(plan, queue[0]): queue for queue in places if queue}
        pending = set(firsts)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                queue = firsts[future]
                futures[queue[0]] = future
                futures.update({index: pool.submit(plan, index) for index in queue[1:]})
    return futures


def plan_stack(stack: Stack, aws: AwsContext, options: PlanOptions) -> tuple[StackPlan, StackState]:
    """One stack on its own (e.g. import's adoption): no other stack to keep resources for."""
    refuse_outside_references([stack], selected_kinds(options))
    plan, state = plan_changes(stack, aws, options, RunStacks([stack], lambda _: aws))
    _guard_mass_delete(plan, state, options)
    return plan, state


def plan_changes(stack: Stack, aws: AwsContext, options: PlanOptions, run: RunStacks
                 ) -> tuple[StackPlan, StackState]:
    """The changes that make the stack's resources match its config, before the rules
    across stacks and the mass-delete guard. `run`: the stacks its references name."""
    kinds = selected_kinds(options)
    state = read_state(stack, aws, kinds, options.prune)
    for kind in kinds:
        state.desired[kind.name], state.live[kind.name] = kind.resolve_references(
            stack, state.desired[kind.name], state.live[kind.name], run)
    _check_generated_references(stack, state)
    plan = StackPlan(stack=stack.name, region=aws.region, config_digest=stack.digest,
                     notes=_notes(stack, aws, kinds))
    for kind in kinds:
        state.desired[kind.name] = kind.settle(aws, stack, state.desired[kind.name],
                                               state.live[kind.name], partial(_prunes, options))
        desired, live = state.desired[kind.name], state.live[kind.name]
        for name in sorted(set(desired) | set(live)):
            copy_of = live[name].duplicate_of if name in live else None
            if options.targets and not any(t.matches(kind.name, copy_of or name)
                                           for t in options.targets):
                continue
            if copy_of:  # an identical extra copy of a resource the stack declares
                plan.live_fingerprints[address(kind.name, name)] = fingerprint(live[name]) or ""
                plan.changes.append(_duplicate_delete(stack, kind, live[name]))
                continue
            wanted = desired.get(name)
            if wanted and any(t.matches(kind.name, name) for t in options.adopt):
                wanted.adopt = True
            change = _compare(stack, kind, wanted, live.get(name), options.prune)
            if desired.get(name) or _owned(stack, kind, live[name]):
                plan.live_fingerprints[address(kind.name, name)] = fingerprint(live.get(name)) or ""
                if not desired.get(name) and not options.prune:
                    plan.unmanaged_owned.append(address(kind.name, name))
            if change:
                plan.changes.append(change)
    plan.unmanaged_owned.sort()
    return plan, state


def _notes(stack: Stack, aws: AwsContext, kinds: list[Kind]) -> list:
    """The generators' notes, when the plan covers a kind they generate (--target)."""
    selected = {k.name for k in kinds}
    return [note for generator in KINDS.values() if set(generator.generates) & selected
            for note in generator.plan_notes(aws, stack)]


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


# --- rules across the stacks of a run ----------------------------------------------------

@dataclass
class Claims:
    """What one stack of a run declares (generated resources included), and where it works."""

    stack: str
    account: tuple  # equal for stacks working in the same account (endpoint, partition, id)
    region: str
    declared: dict[str, dict[str, Desired]]  # kind -> name -> desired

    @classmethod
    def of(cls, state: StackState) -> "Claims":
        scope = state.aws.scope
        return cls(state.stack.name, (state.aws.endpoint_url, scope.partition, scope.account_id),
                   scope.region, state.desired)

    def place(self, kind: str) -> tuple:
        """Equal for stacks that share the names of `kind`: dashboard names are per account."""
        return (self.account, self.region if KINDS[kind].regional else None)


def refuse_shared_names(claims: list[Claims]) -> None:
    """ObsctlError when two stacks in the same place declare one resource (validation
    catches what the config shows; this also catches --region/--profile overrides, profiles
    of one account and generated names)."""
    if len({c.account for c in claims}) == len(claims):
        return  # one stack per account: nothing to share
    first_claim: dict[tuple, tuple[Claims, Desired]] = {}
    clashes = []
    for claim in claims:
        for kind, resources in claim.declared.items():
            place = claim.place(kind)
            for name, desired in resources.items():
                earlier = first_claim.setdefault((place, kind, name), (claim, desired))
                if earlier[0] is not claim:
                    clashes.append(f"{address(kind, name)}: stack {earlier[0].stack!r} "
                                   f"({where(earlier[1])}) and stack {claim.stack!r} "
                                   f"({where(desired)})")
    if clashes:
        listed = "\n  ".join(clashes[:20])
        more = f"\n  ... and {len(clashes) - 20} more" if len(clashes) > 20 else ""
        raise ObsctlError("two stacks of this run declare the same resource in the same account "
                          "and region (dashboards: account), and each apply would undo the "
                          f"other's; keep each in one stack (nothing was changed):\n  {listed}{more}")


def keep_declared(plans: list[StackPlan], claims: list[Claims]) -> None:
    """Drops every delete of a resource that another stack in the same place declares (a
    file moved to another stack by a `stack:` typo, say), recording why in `plan.kept`."""
    for plan, claim in zip(plans, claims):
        changes = []
        for change in plan.changes:
            declarer = (_declarer(change.kind, change.name, claim, claims)
                        if change.action is Action.DELETE else None)
            if declarer is None:
                changes.append(change)
                continue
            desired = declarer.declared[change.kind][change.name]
            plan.kept.append(Kept(stack=plan.stack, kind=change.kind, name=change.name,
                                  reason=f"declared by stack {declarer.stack!r} ({where(desired)})"))
        plan.changes = changes
        # Without --prune they are leftovers only if no other stack of the run declares them.
        plan.unmanaged_owned = [owned for owned in plan.unmanaged_owned
                                if _declarer(*split_address(owned), claim, claims) is None]


def _declarer(kind: str, name: str, claim: Claims, claims: list[Claims]) -> Claims | None:
    """Another stack, in the place of `claim`, that declares `kind/name`."""
    place = claim.place(kind)
    return next((other for other in claims if other is not claim
                 and other.place(kind) == place
                 and name in other.declared.get(kind, {})), None)


def where(desired: Desired) -> str:
    """Where a resource is declared, for messages (file names may hold anything)."""
    place = str(desired.location) if desired.location else "the config"
    if desired.origin:
        place = f"{desired.origin}, {place}"
    return place if place.isprintable() else repr(place)


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
            return Change(name=live.name, action=Action.CONFLICT, before=None, after=desired.spec,
                          reason=conflict_reason(kind, live),
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
                      after=None, reason=f"not in config; {reason}", data_loss=kind.holds_data,
                      **_change_base(stack, kind, desired, live))
    return None


def conflict_reason(kind: Kind, live: Live) -> str:
    """Why the stack may not change a resource it declares, and what would let it."""
    if not kind.taggable:
        return (f"exists outside this stack's prune patterns for {kind.name} (this kind has no "
                "owner tag); add a pattern that matches it to manage it")
    if live.owner is None:
        return (f"exists without an owner tag; adopt it with "
                f"--adopt {shlex.quote(address(kind.name, live.name))}")
    return f"owned by stack {live.owner!r}; only that stack changes it"


def _duplicate_delete(stack: Stack, kind: Kind, live: Live) -> Change:
    return Change(name=live.name, action=Action.DELETE, before=live.spec,
                  after=None, reason=f"duplicate: the same as {address(kind.name, live.duplicate_of)}, "
                                     "which stays",
                  **_change_base(stack, kind, None, live))


def _change_base(stack: Stack, kind: Kind, desired: Desired | None, live: Live | None) -> dict:
    # Only for the resources that change: the fingerprint is a JSON dump and a hash.
    return dict(stack=stack.name, kind=kind.name, origin=desired.origin if desired else None,
                fingerprint=fingerprint(live))


def _guard_mass_delete(plan: StackPlan, state: StackState, options: PlanOptions) -> None:
    # Removing an identical extra copy deletes nothing the stack declares: not counted.
    doomed = [c for c in plan.changes if c.action is Action.DELETE
              and not state.live[c.kind][c.name].duplicate_of]
    deletes = len(doomed)
    if not deletes or options.allow_mass_delete:
        return
    owned = sum(1 for kind in state.live for live in state.live[kind].values()
                if _owned(state.stack, KINDS[kind], live))
    share = deletes / max(owned, 1)
    if deletes > options.max_delete_count or share > options.max_delete_share:
        listed = "".join(f"\n  - {visible(c.address)}" for c in doomed[:MASS_DELETE_LISTED])
        if deletes > MASS_DELETE_LISTED:
            listed += f"\n  ... and {deletes - MASS_DELETE_LISTED} more"
        raise ObsctlError(
            f"stack {plan.stack!r}: refusing to delete {deletes} of "
            f"{plural(owned, 'owned resource')} ({share:.0%}; limits: "
            f"{plural(options.max_delete_count, 'resource')} or "
            f"{options.max_delete_share:.0%}). Check the config, or pass --allow-mass-delete. "
            f"It would delete:{listed}")
