"""From documents to validated stacks: merge the files of a stack, apply `defaults`,
validate with the StackConfig model, run each kind's cross-entry checks.

Every problem becomes a Diagnostic at the `file:line:col` where the user wrote the value,
and all of them are raised together in one ConfigError.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, Field, StringConstraints, ValidationError, ValidationInfo,
                      create_model, field_validator)

from reconciler.config.cross_stack import check_references, check_stacks
from reconciler.config.fields import Region, StrictModel, Tags
from reconciler.config.loader import SourceDocument, gc_paused, load_documents
from reconciler.config.model_errors import dotted, model_diagnostic, show
from reconciler.config.partial import partial_stack
from reconciler.config.registry import ConfigKind, Registry
from reconciler.config.stack import Stack
from reconciler.config.tags import MAX_USER_TAGS, TAG_LIMIT
from reconciler.diagnostics import ConfigError, Diagnostic, Location

StackName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,255}$")]
RoleArn = Annotated[str, StringConstraints(
    pattern=r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,64}$")]
NamePattern = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
# STS AssumeRole ExternalId: 2-1224 characters of [\w+=,.@:/-]; DurationSeconds: 900-43200
# (the role's maximum session duration may be lower: STS refuses longer ones).
ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$")]
SessionDuration = Annotated[int, Field(ge=900, le=43200)]

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


def stack_model(kinds: Registry) -> type[StackSettings]:
    """The StackConfig model for the kinds of the registry (`reconciler.kinds.KINDS`)."""
    return build_stack_model(tuple(kinds.values()))


@functools.cache
def build_stack_model(registered: tuple[ConfigKind, ...]) -> type[StackSettings]:
    kind_names = tuple(kind.name for kind in registered)
    defaults = create_model(
        "Defaults", __base__=StrictModel,
        **{kind.defaults_key: (dict[str, Any], Field(
            {}, description=f"Merged into every entry of `{kind.section}`."))
           for kind in registered if kind.defaults_key})
    sections = {
        kind.section: (dict[kind.name_type, kind.entry_model],
                       Field({}, description=section_description(kind)))
        for kind in registered if kind.section and kind.entry_model
    }
    return create_model(
        "StackConfig", __base__=StackSettings,
        prune=(dict[Literal[kind_names], list[NamePattern]], Field({}, description=_PRUNE_HELP)),
        defaults=(defaults, Field(default_factory=defaults, description=_DEFAULTS_HELP)),
        **sections,
    )


def section_description(kind: ConfigKind) -> str:
    """The JSON Schema description of a kind's section: its entry model's docstring."""
    entry = " ".join((kind.entry_model.__doc__ or "").split())
    return f"{entry} One entry per name (the key).".strip()


def load_stacks(paths: list[str], kinds: Registry) -> list[Stack]:
    """Validated stacks from the YAML files under `paths`, for the kinds of the registry
    (`reconciler.kinds.KINDS`); raises ConfigError with every problem found (file problems
    alone first: half-read stacks give misleading errors).

    Every problem means also those of the kinds' cross-entry checks (references, rules,
    patterns) in a stack where some entries failed validation: the checks then run on the
    entries that passed (see partial.py), so that one run reports them all."""
    registered = tuple(kinds.values())
    model = build_stack_model(registered)
    with gc_paused():  # see gc_paused: a large stack is hundreds of thousands of objects
        drafts, diagnostics = assemble(load_documents(paths), registered)
        stacks, partials = [], []
        for draft in drafts:
            stack, errors = validate_draft(draft, model)
            diagnostics.extend(model_diagnostic(e, draft.data, draft.sources, draft.origins, model)
                               for e in errors)
            if stack is not None:
                stacks.append(stack)
            elif (partial := partial_stack(draft, errors, model, registered)) is not None:
                partials.append(partial)
        for stack in stacks:
            diagnostics.extend(stack_problems(stack, registered))
        for partial in partials:
            diagnostics.extend(partial.trusted(stack_problems(partial.stack, registered)))
        whole = stacks + [p.stack for p in partials if p.settings_valid]
        diagnostics.extend(check_stacks(whole, registered))
        diagnostics.extend(check_references(whole, registered))
    if diagnostics:
        raise ConfigError(_unique(diagnostics))
    return stacks


def stack_problems(stack: Stack, registered: tuple[ConfigKind, ...]) -> list[Diagnostic]:
    """The checks of one validated stack beyond its model: merged tags, each kind's check."""
    problems = merged_tag_problems(stack, registered)
    for kind in registered:
        problems.extend(kind.check(stack))
    return problems


def merged_tag_problems(stack: Stack, registered: tuple[ConfigKind, ...]) -> list[Diagnostic]:
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
                    f"{dotted((kind.section, name, 'tags'))}: {len(own)} tags here and "
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


def assemble(documents: list[SourceDocument], registered: tuple[ConfigKind, ...]
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
    return Diagnostic(f"stack: input should be a string, got {show(document.data['stack'])}",
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


def _apply_defaults(draft: Draft, registered: tuple[ConfigKind, ...]) -> None:
    """Deep-merge `defaults.<key>` into every entry of its kind's section (the entry wins),
    but for the keys that do not apply to the entry's form (`Kind.defaults_ignored`)."""
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
                ignored = kind.defaults_ignored(entry)
                applying = {k: v for k, v in default.items() if k not in ignored}
                section[name] = _merge_default(applying, entry, (), (kind.section, name),
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


def validate_draft(draft: Draft, model: type[StackSettings]) -> tuple[Stack | None, list[dict]]:
    """The stack, or pydantic's errors (`ValidationError.errors()`)."""
    try:
        config = model.model_validate(draft.data)
    except ValidationError as error:
        return None, error.errors(include_url=False)
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
