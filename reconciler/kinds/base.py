"""The one interface every resource kind implements (grizzly's handler, alembic's comparator).

A kind turns config into *desired* resources and AWS into *live* resources, both in the same
comparable form (plain JSON-able dicts, normalized so that nothing AWS rewrites differs), and
applies one change at a time. The engine does the rest: set algebra on names, ownership,
field diffs, ordering, concurrency.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, TypedDict

from pydantic import BaseModel

from reconciler import iam
from reconciler.applied import APPLIED_TAG, digest, without_marker
from reconciler.config.tags import is_reserved_tag_key
from reconciler.diagnostics import Diagnostic, Location, ObsctlError
from reconciler.kinds.common import KeyedLocks
from reconciler.ownership import owner_of

if TYPE_CHECKING:
    from reconciler.aws import AwsContext, Scope
    from reconciler.config.registry import StackReference
    from reconciler.config.stack import Stack
    from reconciler.plan import Change, Note
    from reconciler.references import RunStacks


@dataclass
class ImportRefs:
    """What an import writes references against instead of raw values."""

    scope: "Scope"
    topic_names: dict[str, str]  # topic ARN -> name of a topic the config defines
    stack_tags: dict[str, str]  # inherited by every resource: not repeated per resource

    def action(self, arn: str) -> str:
        name = self.topic_names.get(arn)
        return f"topic:{name}" if name else arn

    def own_tags(self, tags: dict[str, str] | None) -> dict[str, str]:
        """The tags a resource must list itself: not obsctl's or AWS's own (the config may not
        name them) nor inherited stack tags."""
        return {k: v for k, v in sorted((tags or {}).items())
                if not is_reserved_tag_key(k) and self.stack_tags.get(k) != v}


class ArnIdentity(TypedDict):
    """The identity of a resource that apply and drift attribution name by its ARN."""

    arn: str


class FilterIdentity(TypedDict):
    """A metric or subscription filter: the log group it is on, and its own name."""

    log_group: str
    filter_name: str


@dataclass
class Desired:
    name: str
    spec: dict  # comparable form: what the config declares, never changed after it is made
    location: Location | None = None
    origin: str | None = None  # e.g. "endpoint_monitors.all-prod[prod-churn]" for generated ones
    # Take over an existing resource that carries no owner tag (one AWS itself created, such
    # as a SageMaker endpoint's log group) instead of reporting a conflict.
    adopt: bool = False
    # For a desired form that names what another stack of this apply creates (a sink a link
    # references): the final Desired, made at apply once that exists (Kind.resolve_references).
    resolve: Callable[[], "Desired"] | None = None

    @property
    def applied(self) -> str | None:
        """The last-applied marker this resource carries once applied (reconciler/applied.py):
        a digest of its spec; None for untaggable kinds (a spec without `tags`)."""
        return digest(self.spec) if isinstance(self.spec.get("tags"), dict) else None

    @property
    def written_tags(self) -> dict[str, str]:
        """The tags a kind writes on create and update: the spec's, and the marker beside them."""
        return {**self.spec["tags"], APPLIED_TAG: self.applied}


@dataclass
class Live:
    name: str
    spec: dict  # comparable form, normalized from what AWS returned (the marker left out)
    tags: dict[str, str] | None = None  # every tag; None: untaggable kind, or tags unknown
    # What apply (and, for an import read, to_config) needs beyond the name: the kind's own
    # TypedDict (ArnIdentity, FilterIdentity, RuleIdentity, ...); None for kinds with none.
    identity: Mapping[str, Any] | None = None
    # The name of the resource this one is an identical extra copy of, for kinds whose names
    # AWS does not keep unique (saved queries): the plan deletes it (`name` is then unique,
    # e.g. NAME#ID).
    duplicate_of: str | None = None

    def __post_init__(self) -> None:
        # The marker is obsctl's bookkeeping, not something the config declares: it stays in
        # `tags` (read by `applied`) and out of the comparable form.
        self.set_tags_of_spec(self.spec.get("tags"))

    def set_tags_of_spec(self, tags: dict[str, str] | None) -> None:
        """The spec's `tags` (for kinds whose comparable form has them), without the marker."""
        if isinstance(tags, dict):
            declared = without_marker(tags)
            if self.spec.get("tags") is not declared:  # a new spec: never change a shared one
                self.spec = {**self.spec, "tags": declared}

    @property
    def owner(self) -> str | None:
        return owner_of(self.tags)

    @property
    def applied(self) -> str | None:
        """The last-applied marker the resource carries (None: none, or untaggable)."""
        return (self.tags or {}).get(APPLIED_TAG)


class Kind(ABC):
    name: ClassVar[str]  # the KIND of `--target KIND/NAME` and of the plan
    section: ClassVar[str | None] = None  # top-level config key holding this kind's entries
    entry_model: ClassVar[type[BaseModel] | None] = None  # validates one entry of `section`
    name_type: ClassVar[Any] = str  # validates the entry names (keys) of `section`
    defaults_key: ClassVar[str | None] = None  # `defaults.<key>` is merged into every entry
    taggable: ClassVar[bool] = True  # carries the obsctl:stack ownership tag
    depends_on: ClassVar[tuple[str, ...]] = ()  # kinds applied before this one
    one_per_place: ClassVar[bool] = False  # AWS allows one per account and region (a sink)
    # Kinds whose changes in the run's other account-regions are applied before this kind's
    # (an observability link needs the sink that the monitoring account's stack makes).
    after_other_accounts: ClassVar[tuple[str, ...]] = ()
    generates: ClassVar[tuple[str, ...]] = ()  # kinds that `generate` may return resources of
    # Deleting one destroys data that no config can bring back (a log group's events):
    # plans flag such deletes and apply asks for more than a yes (see `Change.data_loss`).
    holds_data: ClassVar[bool] = False
    # False when a name is unique per account rather than per region (dashboards): stacks in
    # other regions of the account then share the names (see config/cross_stack.py).
    regional: ClassVar[bool] = True
    # The IAM actions plan calls for this kind (reads, granted on "*") and those apply adds
    # (writes, granted on `iam_resources`); reconciler/iam.py builds the policies from them.
    iam_read: ClassVar[tuple[str, ...]] = ()
    iam_write: ClassVar[tuple[str, ...]] = ()

    def check(self, stack: "Stack") -> list[Diagnostic]:
        """Cross-entry checks that need the whole stack (references); no AWS access."""
        return []

    def defaults_ignored(self, entry: dict) -> frozenset[str]:
        """Keys of `defaults.<defaults_key>` that do not apply to this (raw) entry's form and
        are left out of it, so a stack-wide default never makes an entry invalid."""
        return frozenset()

    def declared_names(self, stack: "Stack") -> dict[str, Location | None]:
        """The names of the resources of this kind that the stack declares (the keys of
        `desired`), and where; read from the config alone, for checks across stacks."""
        if not self.section:
            return {}
        return {name: stack.locate(self.section, name) for name in stack.section(self.section)}

    def generated_name_globs(self, stack: "Stack") -> dict[str, dict[str, Location | None]]:
        """By kind, `fnmatch` globs covering names that `generate` may return, and where
        they come from; read from the config alone (no discovery), for checks across stacks.
        Only exact shapes: a glob must not cover names that are never generated."""
        return {}

    def generated_names(self, stack: "Stack", kind: str) -> set[str]:
        """Names of the `kind` resources this kind's config generates that are known without
        AWS (a model monitor's drift alarms): other entries may name them at validation."""
        return set()

    def may_generate(self, stack: "Stack", kind: str, name: str) -> bool:
        """Could `generate` return a `kind` resource of this name once it has read AWS (the
        alarms of endpoints that an endpoint monitor discovers)? A reference to such a name
        passes validation and is checked at plan time (`check_generated`)."""
        return False

    def check_generated(self, stack: "Stack", generated: dict[str, set[str]]) -> list[Diagnostic]:
        """The references validation left to plan time, given the names of every generated
        resource by kind (whatever `--target` selects); no AWS access."""
        return []

    def iam_resources(self, stack: "Stack", scope: "Scope", names: list[str]) -> list[str]:
        """ARNs (or ARN globs) this stack's writes of this kind touch, for the IAM policy of
        `obsctl iam-policy`; `names` are the resources' names or name globs (declared and
        generated). Default "*": the service authorizes these writes on no resource type."""
        return ["*"]

    def iam_name_globs(self, stack: "Stack", kind: str) -> set[str]:
        """Names or `fnmatch` globs of every `kind` resource this kind's config may generate
        (including those only discovery knows), for scoping IAM policies; no AWS access."""
        return set(self.generated_name_globs(stack).get(kind, {})) | self.generated_names(stack, kind)

    def stack_references(self, stack: "Stack") -> list["StackReference"]:
        """Values of this kind's config that name what another stack of the run declares
        (reconciler/config/registry.py). Default: none."""
        return []

    def resolve_references(self, stack: "Stack", desired: dict[str, Desired],
                           live: dict[str, Live], run: "RunStacks"
                           ) -> tuple[dict[str, Desired], dict[str, Live]]:
        """This kind's desired and live resources once the values its `stack_references` name
        are read from the other stacks' accounts (`run.aws_of(stack_name)`): a reference to
        what exists becomes its value, one to what this apply creates a placeholder the plan
        shows and `Desired.resolve` replaces at apply. Default: as they are."""
        return desired, live

    def settle(self, aws: "AwsContext", stack: "Stack", desired: dict[str, Desired],
               live: dict[str, Live], prunes: Callable[[str, str], bool]) -> dict[str, Desired]:
        """This kind's desired resources once live state is read, for the few desired forms
        that depend on it (a topic's policy keeps EventBridge's permission for the stack's
        rules that the config dropped but that stay in AWS until pruned). `prunes(kind, name)`:
        does this plan delete that resource if the stack owns it? Default: `desired` as is."""
        return desired

    def comparable(self, live_spec: dict, desired_spec: dict) -> dict:
        """The part of a live spec that the config manages; the engine diffs only that.

        Default: all of it. A kind whose optional fields mean "leave as is" when omitted
        (e.g. a log group without `retention_days`) narrows live to the desired keys.
        """
        return live_spec

    def order(self, changes: list["Change"]) -> list[list["Change"]]:
        """Waves of this kind's creates/updates, applied one after another (each wave
        concurrently); the engine runs deletes in the reverse wave order.

        Default: one wave. A kind whose resources name each other (composite alarms whose
        rules name other composites) puts the named ones in earlier waves.
        """
        return [changes] if changes else []

    def existing(self, aws: "AwsContext", names: list[str]) -> set[str]:
        """Which of `names` exist in AWS now. The engine asks right before each wave of
        creates, so that a resource someone else created since the plan (during a long, paced
        apply) is reported as a conflict instead of overwritten by a create that is an upsert
        (PutMetricAlarm, PutCompositeAlarm).

        Default: not checked (the kind's creates fail on an existing name by themselves)."""
        return set()

    def generate(self, aws: "AwsContext", stack: "Stack", scope: "Scope"
                 ) -> dict[str, dict[str, Desired]]:
        """Resources of *other* kinds that this kind's config expands into, by kind name
        (drift alarms of a model monitor, alarms of an endpoint-monitor preset).

        Runs at plan time, so it may read AWS (discovery); each Desired carries an `origin`.
        """
        return {}

    def plan_notes(self, aws: "AwsContext", stack: "Stack") -> list["Note"]:
        """What the plan should tell that is no change (functions a preset found but cannot
        fully monitor, and how to fix that outside obsctl). Runs after `generate`, whose
        discovery it reads again through `aws.read_once` (no further AWS call)."""
        return []

    def to_config(self, live: Live, refs: "ImportRefs") -> tuple[tuple[str, ...], dict]:
        """The config entry a person would write for `live` (short forms, no defaults spelled
        out), and where it goes: e.g. (("alarms", name), {...}). `live` comes from
        `read_live(..., owned_only=False)`."""
        raise NotImplementedError(f"obsctl import does not support {self.name} yet")

    def adopted_with(self, live: Live) -> list[tuple[str, str]]:
        """(kind, name) of the untagged resources of other kinds that an import writes inside
        `live`'s entry (a log group's anomaly detector): `import --adopt` tags them too."""
        return []

    def cloudtrail_names(self, change: "Change", live: Live | None) -> list[str]:
        """The CloudTrail ResourceName values under which AWS logs this kind's writes to the
        changed resource (drift attribution, reconciler/drift.py). Default: its name."""
        return [change.name]

    def cloudtrail_event_matches(self, live: Live | None, detail: dict) -> bool:
        """Is a CloudTrail event (its CloudTrailEvent JSON) found under `cloudtrail_names`
        about this resource? Default: yes (the name is the resource's own)."""
        return True

    def desired(self, stack: "Stack", scope: "Scope") -> dict[str, Desired]:
        """Comparable form of every resource of this kind that the stack declares.

        Default: one resource per entry of `section`, of comparable form `spec(entry, ...)`.
        Kinds whose resources are not one per entry (filters inside log groups), or whose
        form needs the name or the whole section at once, override this instead."""
        return {name: Desired(name, self.spec(entry, stack, scope),
                              location=stack.locate(self.section, name))
                for name, entry in stack.section(self.section).items()}

    def spec(self, entry: BaseModel, stack: "Stack", scope: "Scope") -> dict:
        """The comparable form of one validated entry of `section` (see `desired`)."""
        raise NotImplementedError(f"{self.name} defines `desired` itself")

    @abstractmethod
    def read_live(self, aws: "AwsContext", stack: "Stack", owned_only: bool = True,
                  name_prefix: str = "") -> dict[str, Live]:
        """Every resource of this kind in the account/region, read with batched calls.

        owned_only=True (plan): details (per-resource reads, tags) may be skipped for
        resources the stack neither declares nor owns; the engine never acts on them.
        owned_only=False (import): every resource whose name starts with `name_prefix` (the
        others may be left out), with every detail and tag `to_config` needs."""

    @abstractmethod
    def create(self, aws: "AwsContext", desired: Desired) -> None: ...

    @abstractmethod
    def update(self, aws: "AwsContext", desired: Desired, live: Live) -> None: ...

    @abstractmethod
    def delete(self, aws: "AwsContext", live: Live) -> None: ...


class Preset(Kind):
    """A config section that owns no AWS resources itself and only generates others'."""

    taggable = False

    def desired(self, stack, scope):
        return {}

    def declared_names(self, stack):
        return {}

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        return {}

    def create(self, aws, desired):
        raise NotImplementedError(f"{self.name} generates resources; it has none of its own")

    update = delete = create


class LogGroupFilter(Kind):
    """A filter declared inside a `log_groups` entry (metric or subscription filter), named
    `<log group>:<filter>`: AWS cannot tag it, import writes it with its group, and writes to
    one group go one at a time (concurrent puts and deletes on one group can clash, which is
    why Terraform serializes them per group too; other groups run freely)."""

    section = None  # declared inside `log_groups` entries
    entry_model = None
    taggable = False
    depends_on = ("log_groups",)

    def __init__(self) -> None:
        self._lock = KeyedLocks()

    def declared_names(self, stack):
        # `log_groups.<group>.<kind>.<filter>`, named `<group>:<filter>`.
        return {f"{group_name}:{filter_name}": stack.locate("log_groups", group_name, self.name,
                                                            filter_name)
                for group_name, group in stack.section("log_groups").items()
                for filter_name in getattr(group, self.name)}

    def iam_resources(self, stack, scope, names):
        return iam.log_group_arns(scope, sorted({name.split(":", 1)[0] for name in names}))

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        if not owned_only:
            self._refuse_import()
        return self.read_filters(aws, stack)

    def to_config(self, live, refs):
        self._refuse_import()

    def _refuse_import(self):
        raise ObsctlError(f"{self.name.replace('_', ' ')} are imported with their log group: "
                          "obsctl import --kind log_groups")

    def cloudtrail_names(self, change, live):
        # Logged under the log group; `cloudtrail_event_matches` keeps this filter's events.
        return [live.identity["log_group"]] if live else [change.name]

    def cloudtrail_event_matches(self, live, detail):
        return live is None or ((detail.get("requestParameters") or {}).get("filterName")
                                == live.identity["filter_name"])

    def create(self, aws, desired):
        group = desired.spec["log_group"]
        with self._lock(group):
            self.put(aws.client("logs"), group, desired.name.removeprefix(f"{group}:"),
                     desired.spec)

    def update(self, aws, desired, live):
        self.create(aws, desired)  # a put replaces the filter of that name

    def delete(self, aws, live):
        group = live.identity["log_group"]
        with self._lock(group):
            self.remove(aws.client("logs"), group, live.identity["filter_name"])

    @abstractmethod
    def read_filters(self, aws: "AwsContext", stack: "Stack") -> dict[str, Live]:
        """The filters `read_live` returns for a plan (their identity: FilterIdentity)."""

    @abstractmethod
    def put(self, logs, group: str, filter_name: str, spec: dict) -> None: ...

    @abstractmethod
    def remove(self, logs, group: str, filter_name: str) -> None: ...
