"""`obsctl import`: live resources -> the YAML a person would write, so that `obsctl plan`
on it right after shows no changes (with `--adopt`, which records ownership the way
`terraform import` records state: by tagging the resources `obsctl:stack=<stack>`)."""

from __future__ import annotations

import datetime
import glob
import io
import json
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from reconciler.aws import AwsContext
from reconciler.config.stack import Stack
from reconciler.diagnostics import ObsctlError
from reconciler.kinds import KINDS
from reconciler.kinds.base import ImportRefs, Kind
from reconciler.kinds.common import topic_arn


@dataclass
class Imported:
    yaml_text: str
    addresses: list[str]  # KIND/NAME of every imported resource
    unowned: list[str]  # of those, the ones without an owner tag


def import_kind(kind_name: str, prefix: str, stack: Stack, aws: AwsContext) -> Imported:
    kind = _importable(kind_name)
    scope = aws.scope
    refs = ImportRefs(scope=scope,
                      topic_names={topic_arn(name, scope): name for name in stack.section("topics")},
                      stack_tags=stack.tags)
    lives = kind.read_for_import(aws, stack, prefix)
    foreign = sorted(n for n, live in lives.items() if live.owner not in (None, stack.name))
    if foreign:
        raise ObsctlError(f"{len(foreign)} {kind_name} are owned by other stacks and cannot be "
                          f"imported into {stack.name!r}: {', '.join(foreign[:5])}")
    document = CommentedMap(stack=stack.name)
    for name in sorted(lives):
        path, entry = kind.to_config(lives[name], refs)
        _put(document, path, entry)
    return Imported(
        yaml_text=_dump(document, kind_name, prefix),
        addresses=[f"{kind_name}/{name}" for name in sorted(lives)],
        unowned=[f"{kind_name}/{name}" for name in sorted(lives) if lives[name].owner is None],
    )


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
    from reconciler.engine import PlanOptions, Target, apply_stack, plan_stack

    exact = tuple(Target(kind, glob.escape(name))
                  for kind, _, name in (a.partition("/") for a in addresses))
    plan, state = plan_stack(stack, aws, PlanOptions(targets=exact, adopt=exact))
    tags_only = [c for c in plan.changes
                 if c.fields and all(f.path.startswith("tags.") for f in c.fields)]
    left = [c for c in plan.changes if c not in tags_only]
    plan.changes = tags_only
    return apply_stack(plan, state), left
