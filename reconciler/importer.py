"""`obsctl import`: live resources -> the YAML a person would write, so that `obsctl plan`
on it right after shows no changes (with `--adopt`, which records ownership the way
`terraform import` records state: by tagging the resources `obsctl:stack=<stack>`)."""

from __future__ import annotations

import datetime
import glob
import io
import json
from dataclasses import dataclass

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from reconciler.aws import AwsContext
from reconciler.config.stack import Stack
from reconciler.diagnostics import ObsctlError
from reconciler.kinds import KINDS
from reconciler.kinds.base import ImportRefs, Kind, Live
from reconciler.kinds.common import topic_arn
from reconciler.ownership import OWNER_TAG
from reconciler.plan import address, split_address


@dataclass
class Imported:
    yaml_text: str
    addresses: list[str]  # KIND/NAME of every imported resource
    unowned: list[str]  # of those, the ones without an owner tag
    skipped: list[str]  # "KIND/NAME: why" of the selected resources another stack owns


def import_kind(kind_name: str, prefix: str, stack: Stack, aws: AwsContext,
                others: tuple[Stack, ...] = ()) -> Imported:
    """Config for `kind_name`'s live resources named `prefix`*, other than those owned by
    another stack: by tag, or, for kinds AWS cannot tag, by the prune patterns of `others`
    (the other stacks of the run)."""
    kind = _importable(kind_name)
    scope = aws.scope
    refs = ImportRefs(scope=scope,
                      topic_names={topic_arn(name, scope): name for name in stack.section("topics")},
                      stack_tags=stack.tags)
    lives = {name: live for name, live in kind.read_live(aws, stack, owned_only=False,
                                                        name_prefix=prefix).items()
             if name.startswith(prefix)}
    owners = {name: owner for name in lives
              for owner in [_other_owner(kind, lives[name], stack, others)] if owner}
    kept = sorted(name for name in lives if name not in owners)
    document = CommentedMap(stack=stack.name)
    for path, entry in _entries(kind, [lives[name] for name in kept], refs, stack):
        _put(document, path, entry)
    return Imported(
        yaml_text=_dump(document, kind_name, prefix),
        addresses=[address(kind_name, name) for name in kept],
        unowned=[address(kind_name, name) for name in kept if lives[name].owner is None]
        + [address(*part) for name in kept for part in kind.adopted_with(lives[name])],
        skipped=[f"{address(kind_name, _printable(name))}: {owners[name]}"
                 for name in sorted(owners)],
    )


def _other_owner(kind: Kind, live: Live, stack: Stack, others: tuple[Stack, ...]) -> str | None:
    """Why another stack owns `live`, or None."""
    if kind.taggable:
        owner = live.owner
        return (f"owned by stack {_printable(owner)} (tag {OWNER_TAG})"
                if owner not in (None, stack.name) else None)
    claimants = [other.name for other in others
                 if other.name != stack.name and other.owns_by_pattern(kind.name, live.name)]
    return (f"matches prune.{kind.name} of stack {', '.join(claimants)}" if claimants else None)


def _entries(kind: Kind, lives: list[Live], refs: ImportRefs, stack: Stack):
    """(path, entry) of each resource, with the stack's defaults folded out; every resource
    that cannot be written is reported, all in one error."""
    entries, problems = [], []
    default = _stack_default(kind, stack)
    for live in lives:
        try:
            path, entry = kind.to_config(live, refs)
            entries.append((path, fold_defaults(entry, default, kind, live.name)))
        except ObsctlError as error:
            problems.append(str(error))
    if len(problems) == 1:
        raise ObsctlError(problems[0])
    if problems:
        raise ObsctlError(f"{len(problems)} {kind.name} cannot be imported (leave them out "
                          f"with --name-prefix): {'; '.join(problems)}")
    return entries


def _printable(text: str) -> str:
    """A name from AWS on one terminal line: control characters escaped."""
    return json.dumps(text)[1:-1]


# --- defaults ----------------------------------------------------------------------------

def _stack_default(kind: Kind, stack: Stack) -> dict:
    """`defaults.<key>` of the stack for `kind` (merged into every entry on load)."""
    if not kind.defaults_key or not kind.entry_model:
        return {}
    return getattr(stack.config.defaults, kind.defaults_key, None) or {}


def fold_defaults(entry: dict, default: dict, kind: Kind, name: str) -> dict:
    """`entry` as it is written in a stack with `default`: what the default supplies left
    out, and what it would change spelled out (AWS defaults included, e.g.
    `treat_missing_data: missing` under a default of `notBreaching`). Checked: merging
    `default` back in validates to the same entry as `entry` alone."""
    default = {k: v for k, v in default.items() if k not in kind.defaults_ignored(entry)}
    if not default:
        return entry
    model = kind.entry_model
    try:
        wanted = model.model_validate(entry)
    except ValidationError:
        return entry  # not a valid entry anyway: loading it will say where and why
    folded = _fold(entry, default, wanted.model_dump(mode="json"))
    try:
        if model.model_validate(merge_default(default, folded)) == wanted:
            return folded
    except ValidationError:
        pass
    raise ObsctlError(f"{address(kind.name, _printable(name))} cannot be written so that the "
                      f"stack's `defaults.{kind.defaults_key}` leaves it as it is in AWS")


def _fold(entry: dict, default: dict, spelled: dict) -> dict:
    """`spelled`: the entry with every field, AWS defaults included."""
    folded = dict(entry)
    for key, value in default.items():
        actual = entry.get(key, spelled.get(key))
        if isinstance(value, dict) and isinstance(actual, dict):
            own = entry.get(key)
            inner = _fold(own if isinstance(own, dict) else {}, value, spelled.get(key) or {})
            if inner:
                folded[key] = inner
            else:
                folded.pop(key, None)
        elif actual == value:
            folded.pop(key, None)
        else:
            folded[key] = actual
    return folded


def merge_default(default: dict, entry: dict) -> dict:
    """`entry` over `default` as the config loader merges them: mappings recursively,
    lists and scalars replaced."""
    merged = dict(default) | entry
    for key, value in default.items():
        if isinstance(value, dict) and isinstance(entry.get(key), dict):
            merged[key] = merge_default(value, entry[key])
    return merged


def _importable(kind_name: str) -> Kind:
    if kind_name not in KINDS:
        raise ObsctlError(f"--kind {kind_name!r}: expected one of {', '.join(KINDS)}")
    kind = KINDS[kind_name]
    if type(kind).to_config is Kind.to_config:
        supported = [k for k, v in KINDS.items() if type(v).to_config is not Kind.to_config]
        raise ObsctlError(f"obsctl import does not support {kind_name} yet; it supports "
                          f"{', '.join(supported)}")
    return kind


def _put(document: CommentedMap, path: tuple[str, ...], entry: dict) -> None:
    node = document
    for key in path[:-1]:
        node = node.setdefault(key, CommentedMap())
    node[path[-1]] = _flowing(entry)


FLOW_MAX_CHARS = 80  # a leaf mapping longer than this as `{k: v, ...}` stays in block style


def _flowing(value):
    """Small leaf mappings and lists read best on one line (`dimensions: {A: b}`)."""
    if isinstance(value, dict):
        mapping = CommentedMap((k, _flowing(v)) for k, v in value.items())
        if (all(not isinstance(v, (dict, list)) for v in value.values()) and len(value) <= 4
                and len(json.dumps(value, default=str)) <= FLOW_MAX_CHARS):
            mapping.fa.set_flow_style()
            for key, item in mapping.items():
                mapping[key] = _flow_safe(item)
        return mapping
    if isinstance(value, list):
        return [_flowing(v) for v in value]
    return value


def _flow_safe(item):
    """ruamel writes `{pattern: ?ERROR}` plain, which libyaml (the config loader) cannot
    read inside a flow mapping: quote strings that start with a YAML indicator."""
    if isinstance(item, str) and item[:1] in _FLOW_INDICATORS:
        return DoubleQuotedScalarString(item)
    return item


_FLOW_INDICATORS = set("?:-!&*|>%@`'\"#,[]{}")


def _dump(document: CommentedMap, kind: str, prefix: str) -> str:
    yaml = YAML()
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    today = datetime.date.today().isoformat()
    selection = f" --name-prefix {prefix}" if prefix else ""
    stream.write(f"# Imported by `obsctl import --kind {kind}{selection}` on {today}.\n")
    yaml.dump(document, stream)
    return stream.getvalue()


def adopt(stack: Stack, aws: AwsContext, addresses: list[str]):
    """Tag the imported resources as this stack's, and nothing else: a change that is not
    only about tags means the import could not express the resource, and is reported instead.

    Returns (outcomes of the tag updates, changes left alone)."""
    from reconciler.apply import apply_stack
    from reconciler.engine import PlanOptions, Target, plan_stack

    exact = tuple(Target(kind, glob.escape(name))
                  for kind, name in map(split_address, addresses))
    plan, state = plan_stack(stack, aws, PlanOptions(targets=exact, adopt=exact))
    tags_only = [c for c in plan.changes
                 if c.fields and all(f.path.startswith("tags.") for f in c.fields)]
    left = [c for c in plan.changes if c not in tags_only]
    plan.changes = tags_only
    return apply_stack(plan, state), left
