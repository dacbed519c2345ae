"""Checks across the stacks of one run, from the config alone (no AWS call).

Two stacks that work in the same place must not both declare a resource (each apply would
undo the other's), and one stack's `prune` patterns must not cover a name another declares
(`apply --prune` would delete it, the next apply recreate it, forever).

The place is the account and region a stack works in, as far as the config tells: the same
region and, for the account, the account of `role_arn` when both stacks assume a role, else
the same `profile` (unset counts as a value: the default credentials) and neither assuming a
role. Kinds whose names are unique per account (dashboards) ignore the region. Stacks the
config cannot tell apart this way are checked again at plan time against the account and
region AWS reports (`reconciler.engine.plan_all`).
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from typing import Iterable

from reconciler.config.globs import globs_overlap
from reconciler.config.registry import ConfigKind
from reconciler.config.stack import Stack
from reconciler.diagnostics import Diagnostic, Location, did_you_mean


def account(stack: Stack) -> tuple:
    """Stacks with equal values work in the same account (see the module doc)."""
    role = stack.config.role_arn
    if role:
        return ("account", role.split(":")[4])
    return ("profile", stack.config.profile)


def place(stack: Stack) -> tuple:
    """Stacks with equal places work in the same account and region."""
    return (stack.region, *account(stack))


def check_references(stacks: list[Stack], registered: Iterable[ConfigKind]) -> list[Diagnostic]:
    """Each reference to another stack's resource (a link's `sink: {stack, name}`) names one
    that stack declares, when that stack is loaded; one that is not loaded is for the plan to
    refuse (reconciler/references.py: `--changed-since` may leave it out)."""
    kinds = {kind.name: kind for kind in registered}
    by_name = {stack.name: stack for stack in stacks}
    diagnostics = []
    for stack in stacks:
        for kind in kinds.values():
            for reference in kind.stack_references(stack):
                target = by_name.get(reference.stack)
                if target is None or reference.kind not in kinds:
                    continue
                declared = kinds[reference.kind].declared_names(target)
                if reference.name not in declared:
                    diagnostics.append(Diagnostic(
                        f"{reference.field}: stack {reference.stack!r} declares no "
                        f"{reference.kind} {reference.name!r}",
                        reference.location, hint=did_you_mean(reference.name, declared)))
    return diagnostics


def check_stacks(stacks: list[Stack], registered: Iterable[ConfigKind]) -> list[Diagnostic]:
    if len(stacks) < 2:
        return []
    kinds = {kind.name: kind for kind in registered}
    diagnostics: list[Diagnostic] = []
    by_account: dict[tuple, list[Stack]] = defaultdict(list)
    for stack in stacks:
        by_account[account(stack)].append(stack)
    for neighbours in by_account.values():
        if len(neighbours) > 1:
            names = {stack.name: _Names.of(stack, kinds) for stack in neighbours}
            diagnostics += _shared_names(neighbours, names, kinds)
            diagnostics += _pruned_names(neighbours, names, kinds)
    return diagnostics + _more_than_one_per_place(stacks, kinds)


def _more_than_one_per_place(stacks: list[Stack], kinds: dict[str, ConfigKind]) -> list[Diagnostic]:
    """A kind AWS allows once per account and region, declared by two stacks of one place
    (each stack's own check counts its own entries)."""
    diagnostics = []
    for kind in (k for k in kinds.values() if k.one_per_place):
        first: dict[tuple, tuple[Stack, str, Location | None]] = {}
        for stack in stacks:
            declared = kind.declared_names(stack)
            if not declared:
                continue
            name, location = next(iter(declared.items()))
            if place(stack) not in first:
                first[place(stack)] = (stack, name, location)
                continue
            other, other_name, other_at = first[place(stack)]
            where = f" ({other_at})" if other_at else ""
            diagnostics.append(Diagnostic(
                f"{kind.name}.{name}: AWS allows one of {kind.name} per account and region, "
                f"and stack {other.name!r} declares {other_name!r} there{where}",
                location))
    return diagnostics


def _share(first: Stack, second: Stack, kind: ConfigKind) -> bool:
    """Do two stacks of one account share the names of `kind`?"""
    return first.region == second.region or not kind.regional


class _Names:
    """What one stack declares (exact names) and generates (globs), by kind."""

    def __init__(self) -> None:
        self.declared: dict[str, dict[str, Location | None]] = {}
        self.generated: dict[str, dict[str, tuple[Location | None, str]]] = defaultdict(dict)

    @classmethod
    def of(cls, stack: Stack, kinds: dict[str, ConfigKind]) -> "_Names":
        names = cls()
        for kind in kinds.values():
            names.declared[kind.name] = kind.declared_names(stack)
            for target, globs in kind.generated_name_globs(stack).items():
                for pattern, location in globs.items():
                    names.generated[target][pattern] = (location, kind.name)
        return names


def _shared_names(stacks: list[Stack], names: dict[str, _Names],
                  kinds: dict[str, ConfigKind]) -> list[Diagnostic]:
    diagnostics = []
    candidates = _candidate_pairs(stacks, names, kinds)
    for index, later in enumerate(stacks):
        for earlier in (stacks[e] for e in sorted(candidates.get(index, ()))):
            for kind in kinds.values():
                if _share(earlier, later, kind):
                    diagnostics += _clashes(kind, earlier, names[earlier.name], later,
                                            names[later.name])
    return diagnostics


def _candidate_pairs(stacks: list[Stack], names: dict[str, _Names],
                     kinds: dict[str, ConfigKind]) -> dict[int, set[int]]:
    """Index of a stack -> indexes of the earlier stacks that may clash with it: those that
    declare a name it declares, whose names a glob of either covers, or that both generate
    the kind. Found through an index of names, so stacks that share nothing cost no pair
    (hundreds of stacks would be tens of thousands of pairs)."""
    pairs: dict[int, set[int]] = defaultdict(set)

    def pair(one: int, other: int) -> None:
        if one != other:
            pairs[max(one, other)].add(min(one, other))

    for kind in kinds.values():
        declarers: dict[str, list[int]] = defaultdict(list)
        globs: list[tuple[int, str]] = []
        for index, stack in enumerate(stacks):
            stack_names = names[stack.name]
            for name in stack_names.declared.get(kind.name, {}):
                declarers[name].append(index)
            globs += [(index, pattern) for pattern in stack_names.generated.get(kind.name, {})]
        for indexes in declarers.values():
            for position, later in enumerate(indexes):
                for earlier in indexes[:position]:
                    pair(earlier, later)
        for index, pattern in globs:
            for name in fnmatch.filter(declarers, pattern):
                for other in declarers[name]:
                    pair(index, other)
            for other, _ in globs:
                pair(index, other)
    return pairs


def _clashes(kind: ConfigKind, earlier: Stack, first: _Names, later: Stack,
             second: _Names) -> list[Diagnostic]:
    """Names of `kind` that both stacks claim: exact names by set intersection (a stack may
    declare thousands), generated globs one by one (a few)."""
    mine, theirs = second.declared.get(kind.name, {}), first.declared.get(kind.name, {})
    found = [(f"{kind.name} {name!r}", _by(earlier), theirs[name], _by(later), mine[name])
             for name in sorted(mine.keys() & theirs.keys())]
    for pattern, (where, generator) in first.generated.get(kind.name, {}).items():
        found += [(f"{kind.name} {name!r}", _by(earlier, generator), where, _by(later), mine[name])
                  for name in sorted(fnmatch.filter(mine, pattern))]
    for pattern, (where, generator) in second.generated.get(kind.name, {}).items():
        found += [(f"{kind.name} {name!r}", _by(earlier), theirs[name], _by(later, generator), where)
                  for name in sorted(fnmatch.filter(theirs, pattern))]
        found += [(f"{kind.name} matching {pattern!r}", _by(earlier, other_generator),
                   other_where, _by(later, generator), where)
                  for other, (other_where, other_generator)
                  in first.generated.get(kind.name, {}).items() if globs_overlap(pattern, other)]
    return [_shared(kind, *clash) for clash in found]


def _by(stack: Stack, generator: str | None = None) -> str:
    if generator:
        return f"generated by {generator} of stack {stack.name!r}"
    return f"declared by stack {stack.name!r}"


def _same_place(kind: ConfigKind) -> str:
    return ("in the same account and region" if kind.regional
            else f"in the same account ({kind.name} names are per account, not per region)")


def _shared(kind: ConfigKind, what: str, first: str, first_at: Location | None, second: str,
            second_at: Location | None) -> Diagnostic:
    return Diagnostic(
        f"{what} is {first} ({first_at}) and {second}, {_same_place(kind)}: each apply would "
        "undo the other's; keep it in one stack (stacks in other regions or accounts may share "
        "names)", second_at)


def _pruned_names(stacks: list[Stack], names: dict[str, _Names],
                  kinds: dict[str, ConfigKind]) -> list[Diagnostic]:
    """`prune` patterns only decide ownership of kinds AWS cannot tag."""
    diagnostics = []
    for pruner in stacks:
        for kind, patterns in pruner.config.prune.items():
            if kinds[kind].taggable:
                continue
            for index, pattern in enumerate(patterns):
                at = pruner.locate("prune", kind, index)
                for other in stacks:
                    if other is not pruner and _share(pruner, other, kinds[kind]):
                        diagnostics += _covered(pruner, kinds[kind], pattern, at, other,
                                                names[other.name])
    return diagnostics


def _covered(pruner: Stack, kind: ConfigKind, pattern: str, at: Location | None, other: Stack,
             names: _Names) -> list[Diagnostic]:
    found = [(f"{kind.name} {name!r}, declared by", where)
             for name, where in sorted(names.declared.get(kind.name, {}).items())
             if fnmatch.fnmatchcase(name, pattern)]
    found += [(f"{kind.name} matching {glob!r}, generated by {generator} of", where)
              for glob, (where, generator) in names.generated.get(kind.name, {}).items()
              if globs_overlap(pattern, glob)]
    return [Diagnostic(
        f"prune.{kind.name} pattern {pattern!r} of stack {pruner.name!r} covers {what} stack "
        f"{other.name!r} ({where}), {_same_place(kind)}: `apply --prune` would delete it and "
        "the next apply recreate it; narrow the pattern", at)
        for what, where in found]
