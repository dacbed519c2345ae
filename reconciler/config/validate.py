"""From documents to validated stacks: merge the files of a stack, apply `defaults`,
validate with the StackConfig model, run each kind's cross-entry checks.

Every problem becomes a Diagnostic at the `file:line:col` where the user wrote the value,
and all of them are raised together in one ConfigError.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (BaseModel, Field, StringConstraints, ValidationError, ValidationInfo,
                      create_model, field_validator)

from reconciler.config.cross_stack import check_stacks
from reconciler.config.fields import Region, StrictModel, Tags
from reconciler.config.loader import SourceDocument, gc_paused, load_documents
from reconciler.config.stack import Stack, locate
from reconciler.config.tags import MAX_USER_TAGS, TAG_LIMIT
from reconciler.diagnostics import ConfigError, Diagnostic, Location

if TYPE_CHECKING:
    from reconciler.kinds.base import Kind

StackName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,255}$")]
RoleArn = Annotated[str, StringConstraints(
    pattern=r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")]
NamePattern = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
# STS AssumeRole ExternalId: 2-1224 characters of [\w+=,.@:/-]; DurationSeconds: 900-43200
# (the role's maximum session duration may be lower: STS refuses longer ones).
ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$")]
SessionDuration = Annotated[int, Field(ge=900, le=43200)]

# Top-level keys that configure the stack rather than declare resources; several files of
# one stack may repeat them, but only with equal values.
SETTINGS = ("region", "role_arn", "role_external_id", "role_duration_seconds", "profile", "prune",
            "tags", "defaults")


# Top-level keys starting with this are ignored: they hold YAML anchors for reuse.
EXTENSION_PREFIX = "x-"

_PRUNE_HELP = "Per kind, glob patterns of the names this stack owns, for kinds AWS cannot tag."
_DEFAULTS_HELP = "Per kind, values merged into every entry (the entry wins)."


class StackSettings(StrictModel):
    """What every stack has, whatever kinds exist; `stack_model()` adds the kinds."""

    stack: StackName = Field(description="Name of the stack: the owner label tagged on "
                                         "every taggable resource (obsctl:stack).")
    region: Region | None = Field(None, description="AWS region; default from the AWS environment.")
    role_arn: RoleArn | None = Field(None, description="IAM role to assume for this stack.")
    role_external_id: ExternalId | None = Field(
        None, description="ExternalId for assuming role_arn, if its trust policy requires one.")
    role_duration_seconds: SessionDuration | None = Field(
        None, description="Length of one role session (900-43200 s; STS's default 3600). "
                          "Credentials are renewed before they expire either way.")
    profile: Annotated[str, StringConstraints(min_length=1)] | None = Field(
        None, description="AWS profile to use for this stack.")
    prune: dict[str, list[NamePattern]] = Field({}, description=_PRUNE_HELP)
    tags: Tags = Field({}, description="Tags applied to every taggable resource.")
    defaults: dict[str, dict[str, Any]] = Field({}, description=_DEFAULTS_HELP)

    @field_validator("role_external_id", "role_duration_seconds")
    @classmethod
    def _needs_role(cls, value, info: ValidationInfo):
        if value is not None and not info.data.get("role_arn"):
            raise ValueError(f"{info.field_name} is a setting of the role to assume: set role_arn")
        return value


def kinds() -> dict[str, "Kind"]:
    # Imported on use: the kinds import reconciler.config themselves.
    from reconciler.kinds import KINDS

    return KINDS


def stack_model() -> type[StackSettings]:
    """The StackConfig model for the registered kinds."""
    return build_stack_model(tuple(kinds().values()))


@functools.cache
def build_stack_model(registered: tuple["Kind", ...]) -> type[StackSettings]:
    kind_names = tuple(kind.name for kind in registered)
    defaults = create_model(
        "Defaults", __base__=StrictModel,
        **{kind.defaults_key: (dict[str, Any], Field(
            {}, description=f"Merged into every entry of `{kind.section}`."))
           for kind in registered if kind.defaults_key})
    sections = {
        kind.section: (dict[kind.name_type, kind.entry_model], {})
        for kind in registered if kind.section and kind.entry_model
    }
    return create_model(
        "StackConfig", __base__=StackSettings,
        prune=(dict[Literal[kind_names], list[NamePattern]], Field({}, description=_PRUNE_HELP)),
        defaults=(defaults, Field(default_factory=defaults, description=_DEFAULTS_HELP)),
        **sections,
    )


def load_stacks(paths: list[str]) -> list[Stack]:
    """Validated stacks from the YAML files under `paths`; raises ConfigError with every
    problem found (file problems alone first: half-read stacks give misleading errors)."""
    registered = tuple(kinds().values())
    with gc_paused():  # see gc_paused: a large stack is hundreds of thousands of objects
        drafts, diagnostics = assemble(load_documents(paths), registered)
        stacks = []
        for draft in drafts:
            stack, problems = validate_draft(draft, build_stack_model(registered))
            diagnostics.extend(problems)
            if stack is not None:
                stacks.append(stack)
        for stack in stacks:
            diagnostics.extend(merged_tag_problems(stack, registered))
            for kind in registered:
                diagnostics.extend(kind.check(stack))
        diagnostics.extend(check_stacks(stacks, registered))
    if diagnostics:
        raise ConfigError(_unique(diagnostics))
    return stacks


def merged_tag_problems(stack: Stack, registered: tuple["Kind", ...]) -> list[Diagnostic]:
    """Entries whose own `tags` and the stack's together exceed what AWS leaves the user."""
    inherited = stack.tags
    problems = []
    for kind in registered:
        for name, entry in (stack.section(kind.section) if kind.section else {}).items():
            own = getattr(entry, "tags", None) or {}
            merged = len(inherited | own)
            if merged > MAX_USER_TAGS:
                from_stack = len(set(inherited) - set(own))
                problems.append(Diagnostic(
                    f"{_dotted((kind.section, name, 'tags'))}: {len(own)} tags here and "
                    f"{from_stack} more from the stack's `tags` make {merged}; "
                    f"{TAG_LIMIT}", stack.locate(kind.section, name, "tags")))
    return problems


@dataclass
class Draft:
    """The merged raw data of one stack, before validation."""

    name: str
    data: dict = field(default_factory=dict)
    sources: dict[tuple, Location] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    # A value merged in from `defaults` -> the defaults path it came from, so an error in
    # it is reported once, under the name the user wrote.
    origins: dict[tuple, tuple] = field(default_factory=dict)


def assemble(documents: list[SourceDocument], registered: tuple["Kind", ...]
             ) -> tuple[list[Draft], list[Diagnostic]]:
    """Group documents by `stack`, merge each group, and apply its defaults."""
    sections = {kind.section for kind in registered if kind.section}
    drafts: dict[str, Draft] = {}
    diagnostics: list[Diagnostic] = []
    for document in documents:
        name = document.data.get("stack")
        if not isinstance(name, str):
            diagnostics.append(_stack_key_problem(document))
            continue
        draft = drafts.setdefault(name, Draft(name))
        diagnostics.extend(_merge_document(draft, document, sections))
    for draft in drafts.values():
        _apply_defaults(draft, registered)
    return list(drafts.values()), diagnostics


def _stack_key_problem(document: SourceDocument) -> Diagnostic:
    if "stack" not in document.data:
        return Diagnostic("required key 'stack' is missing: every file names the stack it "
                          "belongs to", document.sources[()])
    return Diagnostic(f"stack: input should be a string, got {_show(document.data['stack'])}",
                      document.sources[("stack",)])


def _merge_document(draft: Draft, document: SourceDocument, sections: set[str]) -> list[Diagnostic]:
    diagnostics = []
    taken: set[tuple] = {()}  # path prefixes whose sources this document contributes
    draft.files.append(document.path)
    for key, value in document.data.items():
        here = document.sources[(key,)]
        if isinstance(key, str) and key.startswith(EXTENSION_PREFIX):
            continue  # a place to hold YAML anchors, as in docker-compose files
        if key in sections and value is None:
            continue  # `alarms:` with every entry commented out
        if key in sections and isinstance(value, dict) and isinstance(draft.data.get(key, {}), dict):
            entries = draft.data.setdefault(key, {})
            taken.add((key,))
            for name, entry in value.items():
                if name in entries:
                    diagnostics.append(Diagnostic(
                        f"{key} {name!r} is defined twice: {draft.sources[(key, name)]} and "
                        f"{document.sources[(key, name)]}", document.sources[(key, name)]))
                else:
                    entries[name] = entry
                    taken.add((key, name))
        elif key not in draft.data:
            draft.data[key] = value
            taken.add((key,))
        elif draft.data[key] != value:
            diagnostics.append(Diagnostic(
                f"{key!r} differs between files of stack {draft.name!r}: {draft.sources[(key,)]} "
                f"and {here}; give it the same value everywhere or set it in one file only", here))
    for path, location in document.sources.items():
        if path[:1] in taken or path[:2] in taken:
            draft.sources.setdefault(path, location)
    return diagnostics


def _apply_defaults(draft: Draft, registered: tuple["Kind", ...]) -> None:
    """Deep-merge `defaults.<key>` into every entry of its kind's section (the entry wins)."""
    defaults = draft.data.get("defaults")
    if not isinstance(defaults, dict):
        return
    for kind in registered:
        default = defaults.get(kind.defaults_key) if kind.defaults_key else None
        section = draft.data.get(kind.section) if kind.section else None
        if not isinstance(default, dict) or not isinstance(section, dict):
            continue
        origin = ("defaults", kind.defaults_key)
        # Only the defaults' own sources are ever copied: index them once, not per entry.
        default_sources = {path[2:]: location for path, location in draft.sources.items()
                           if path[:2] == origin and len(path) > 2}
        for name, entry in section.items():
            if isinstance(entry, dict):
                section[name] = _merge_default(default, entry, (), (kind.section, name),
                                               origin, default_sources, draft)


def _merge_default(default: dict, entry: dict, relative: tuple, target: tuple, origin: tuple,
                   default_sources: dict[tuple, Location], draft: Draft) -> dict:
    """`entry` over `default`: mappings merge recursively, lists and scalars replace."""
    merged = dict(entry)
    for key, value in default.items():
        path = relative + (key,)
        if key not in entry:
            merged[key] = value
            draft.origins[target + path] = origin + path
            for sub, location in default_sources.items():
                if sub[:len(path)] == path:
                    draft.sources[target + sub] = location
        elif isinstance(value, dict) and isinstance(entry[key], dict):
            merged[key] = _merge_default(value, entry[key], path, target, origin,
                                         default_sources, draft)
    return merged


def validate_draft(draft: Draft, model: type[StackSettings]) -> tuple[Stack | None, list[Diagnostic]]:
    try:
        config = model.model_validate(draft.data)
    except ValidationError as error:
        return None, [_diagnostic(e, draft, model) for e in error.errors(include_url=False)]
    stack = Stack(name=config.stack, config=config, sources=draft.sources, files=draft.files,
                  digest=_digest(config))
    return stack, []


def _digest(config: BaseModel) -> str:
    canonical = json.dumps(config.model_dump(mode="json"), sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    # A bad value in `defaults` fails in every entry it was merged into; say it once.
    return list(dict.fromkeys(diagnostics))


# --- pydantic errors -> diagnostics -------------------------------------------------------

def _diagnostic(error: dict, draft: Draft, model: type[BaseModel]) -> Diagnostic:
    path = _data_path(draft.data, error)
    location = locate(draft.sources, path)
    shown = _origin(path, draft.origins)
    kind = error["type"]
    if kind in ("missing", "extra_forbidden"):
        shown, text = shown[:-1], _describe(error, shown[-1])
    elif error["loc"][-1] == "[key]":
        shown = shown[:-1]
        text = f"invalid key {_show(error['input'])}: {_describe(error, show_input=False)}"
    else:
        text = _describe(error)
    message = f"{_dotted(shown)}: {text}" if shown else text
    return Diagnostic(message, location, _hint(model, error))


def _data_path(data: Any, error: dict) -> tuple:
    """The keys and indices of the error's `loc` that exist in the data.

    pydantic's loc also names union members and validator steps ('MetricRef',
    'function-after[...]'); those are not in the data and are dropped. A missing key is
    kept: it is the last element, and the location is then that of its parent mapping.
    """
    path, node = [], data
    loc = error["loc"]
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif error["type"] == "missing" and index == len(loc) - 1:
            path.append(part)
    return tuple(path)


def _origin(path: tuple, origins: dict[tuple, tuple]) -> tuple:
    """`path` as the user wrote it: under `defaults` when the value was merged from there."""
    for end in range(len(path), 0, -1):
        origin = origins.get(path[:end])
        if origin is not None:
            return origin + path[end:]
    return path


def _describe(error: dict, key: Any = None, show_input: bool = True) -> str:
    kind = error["type"]
    if kind == "missing":
        return f"required key {key!r} is missing"
    if kind == "extra_forbidden":
        return f"unknown key {key!r}"
    if kind in ("too_long", "too_short"):
        # pydantic says "not more" when it stopped counting; the input has the real size.
        ctx = error["ctx"]
        bound = f"at most {ctx['max_length']}" if kind == "too_long" else f"at least {ctx['min_length']}"
        return f"{ctx['field_type'].lower()} should have {bound} items, got {len(error['input'])}"
    message = error["msg"].removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    if not show_input or kind in ("value_error", "assertion_error"):
        return message  # the value is already named (our validators' messages name it)
    return f"{message}, got {_show(error['input'])}"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _dotted(path: tuple) -> str:
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif (isinstance(part, str) and part and part.isprintable()
              and not set(part) & set(".[]'\" ")):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def _hint(model: type[BaseModel], error: dict) -> str | None:
    loc, kind = error["loc"], error["type"]
    if kind == "extra_forbidden":
        wrong, candidates = loc[-1], _field_names(_types_at(model, loc[:-1]))
    elif kind == "literal_error" and loc[-1] == "[key]":
        wrong, candidates = error["input"], _literal_values(_key_types_at(model, loc[:-2]))
    elif kind == "literal_error":
        wrong, candidates = error["input"], _literal_values(_types_at(model, loc))
    else:
        return None
    if not isinstance(wrong, str):
        return None
    close = difflib.get_close_matches(wrong, [str(c) for c in candidates], n=1)
    return f"did you mean {close[0]!r}?" if close else None


def _types_at(model: type[BaseModel], loc: tuple) -> list[Any]:
    """The types the model allows at `loc` (several when unions are involved)."""
    current: list[Any] = [model]
    for part in loc:
        current = _step(current, part)
    return current


def _key_types_at(model: type[BaseModel], loc: tuple) -> list[Any]:
    return [get_args(t)[0] for t in _members_of(_types_at(model, loc)) if get_origin(t) is dict]


def _step(current: list[Any], part: Any) -> list[Any]:
    members = _members_of(current)
    named = [t for t in members if _is_model(t) and t.__name__ == part]
    if named:  # pydantic names the union member it tried
        return named
    found = []
    for t in members:
        if _is_model(t):
            found.extend(f.annotation for name, f in t.model_fields.items()
                         if part in (name, f.alias))
        elif get_origin(t) is dict:
            found.append(get_args(t)[1])
        elif get_origin(t) in (list, tuple, set, frozenset) and isinstance(part, int):
            found.append(get_args(t)[0])
    # A part that leads nowhere is a validator step ('function-after[...]'): stay put.
    return found or members


def _members_of(current: list[Any]) -> list[Any]:
    """Unions flattened and Annotated unwrapped."""
    members = []
    for t in current:
        if get_origin(t) is Annotated:
            members.extend(_members_of([get_args(t)[0]]))
        elif get_origin(t) in (Union, types.UnionType):
            members.extend(_members_of(list(get_args(t))))
        else:
            members.append(t)
    return members


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _field_names(current: list[Any]) -> list[str]:
    return [f.alias or name for t in _members_of(current) if _is_model(t)
            for name, f in t.model_fields.items()]


def _literal_values(current: list[Any]) -> list[Any]:
    return [v for t in _members_of(current) if get_origin(t) is Literal for v in get_args(t)]
