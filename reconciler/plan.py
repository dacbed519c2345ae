"""The plan is plain data: changes with before/after values. Renderers and apply read it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields as dataclass_fields
from enum import Enum
from typing import Any


def address(kind: str, name: str) -> str:
    """How plans, apply and messages name a resource, and what `--target`/`--adopt` take:
    `KIND/NAME`, or `KIND:NAME` when the name starts with `/` (log groups such as
    `/aws/sagemaker/Endpoints/churn`, and their filters), which would otherwise read as
    `log_groups//aws/...`. Kind names hold neither separator, so both forms are unambiguous."""
    return f"{kind}:{name}" if name.startswith("/") else f"{kind}/{name}"


def split_address(text: str) -> tuple[str, str]:
    """(kind, name) of an address in either form (`KIND/NAME`, `KIND:NAME`); the kind ends at
    the first `/` or `:`, so the old `log_groups//aws/...` still reads as `/aws/...`."""
    cut = min((i for i in (text.find("/"), text.find(":")) if i >= 0), default=len(text))
    return text[:cut], text[cut + 1:]


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CONFLICT = "conflict"  # exists in AWS but is not owned by this stack: never touched

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "delete": "-", "conflict": "!"}[self.value]


@dataclass(frozen=True)
class FieldChange:
    path: str  # dotted path into the resource's comparable form, e.g. "metric.stat"
    before: Any
    after: Any


@dataclass
class Change:
    stack: str
    kind: str
    name: str
    action: Action
    before: dict | None  # live comparable form (None for create)
    after: dict | None  # desired comparable form (None for delete)
    fields: list[FieldChange] = field(default_factory=list)
    origin: str | None = None  # where the desired resource came from, e.g. a preset expansion
    reason: str | None = None  # why (conflict owner, prune pattern, ...)
    fingerprint: str | None = None  # digest of the live state this change was planned against
    # Why it differs: "config" (the config changed), "drift" (AWS changed outside obsctl),
    # "config+drift", or None when unknown (see reconciler/applied.py).
    cause: str | None = None
    # Who last changed the drifted resource, from CloudTrail (`plan --explain-drift`; see
    # reconciler/drift.py): {"status": "found"|"none"|"unavailable", ...}; None when not asked.
    attribution: dict | None = None
    # A delete that destroys data no config brings back (a log group's events): plans list
    # these apart and apply wants a typed confirmation or --allow-data-loss.
    data_loss: bool = False

    @property
    def address(self) -> str:
        return address(self.kind, self.name)

    @classmethod
    def from_dict(cls, data: dict) -> "Change":
        """A change of a plan document (reconciler/plan_document.py); derived keys such as
        `address` are not fields of a Change."""
        names = {f.name for f in dataclass_fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["action"] = Action(values["action"])
        values["fields"] = [FieldChange(**f) for f in values.get("fields", [])]
        return cls(**values)


@dataclass(frozen=True)
class Kept:
    """A delete that was planned and dropped: another stack of the run declares the resource
    (e.g. a file whose `stack:` was mistyped), so `--prune` leaves it alone."""

    stack: str  # the stack that would have deleted it
    kind: str
    name: str
    reason: str  # "declared by stack 'x' (file:line:col)"

    @property
    def address(self) -> str:
        return address(self.kind, self.name)


@dataclass(frozen=True)
class Note:
    """Something a plan tells that is no change: what a preset found and cannot monitor, and
    how the user (not obsctl) can fix it, e.g. Lambda functions without the Lambda Insights
    extension."""

    stack: str
    source: str  # the config entry it is about, e.g. "lambda_monitors.serverless"
    message: str
    subjects: tuple[str, ...] = ()  # what it names (function names), for JSON consumers


@dataclass
class StackPlan:
    stack: str
    region: str
    changes: list[Change] = field(default_factory=list)
    config_digest: str | None = None
    live_fingerprints: dict[str, str] = field(default_factory=dict)  # address -> digest
    kept: list[Kept] = field(default_factory=list)
    # Addresses of resources the stack owns that the config no longer has, left alone because
    # the plan was made without --prune (with it, they are deletes).
    unmanaged_owned: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


@dataclass
class Plan:
    stacks: list[StackPlan] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [c for s in self.stacks for c in s.changes]

    @property
    def actionable(self) -> list[Change]:
        return [c for c in self.changes if c.action is not Action.CONFLICT]

    @property
    def kept(self) -> list[Kept]:
        return [k for s in self.stacks for k in s.kept]

    @property
    def notes(self) -> list[Note]:
        return [n for s in self.stacks for n in s.notes]

    @property
    def data_loss(self) -> list[Change]:
        return [c for c in self.changes if c.data_loss]

    def counts(self) -> dict[str, int]:
        counts = {a.value: 0 for a in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)


def diff_fields(before: Any, after: Any, prefix: str = "") -> list[FieldChange]:
    """Field-level differences of two comparable forms.

    Mappings are walked by key; lists of mappings of equal length (dashboard widgets, math
    metrics) by index, so a diff names the field that changed; other lists (sets of ARNs)
    are compared whole.
    """
    if before == after:  # most resources of a plan: one comparison, no walk
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[FieldChange] = []
        for key in sorted(set(before) | set(after), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            changes += diff_fields(before.get(key), after.get(key), path)
        return changes
    if _walkable_lists(before, after):
        return [c for i, (b, a) in enumerate(zip(before, after))
                for c in diff_fields(b, a, f"{prefix}[{i}]")]
    return [FieldChange(prefix, before, after)]


def _walkable_lists(before: Any, after: Any) -> bool:
    return (isinstance(before, list) and isinstance(after, list) and len(before) == len(after)
            and all(isinstance(x, dict) for x in before + after))


def leaf_fields(value: Any, prefix: str = "") -> list[FieldChange]:
    """Every leaf of a comparable form, as additions (for showing a create); mappings and
    lists of mappings are walked like diff_fields walks them."""
    if isinstance(value, dict) and (value or not prefix):
        return [f for key in sorted(value, key=str)
                for f in leaf_fields(value[key], f"{prefix}.{key}" if prefix else str(key))]
    if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        return [f for i, item in enumerate(value) for f in leaf_fields(item, f"{prefix}[{i}]")]
    return [FieldChange(prefix, None, value)]
