"""What config needs of a resource kind, and the registry of them that callers pass in.

config is the layer below the kinds (the kinds import its fields and Stack), so it never
imports them: `load_stacks`, `stack_model` and `json_schema` take the registry as an argument
(`reconciler.kinds.KINDS` in the program, a few fake kinds in tests). `reconciler.kinds.base.Kind`
satisfies this protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Protocol

from reconciler.diagnostics import Diagnostic, Location

if TYPE_CHECKING:
    from pydantic import BaseModel

    from reconciler.config.stack import Stack


@dataclass(frozen=True)
class StackReference:
    """A config value that names a resource another stack of the run declares (a link's
    `sink: {stack: ..., name: ...}`): checked against that stack at validation when it is
    loaded, refused at plan time when the run does not include it."""

    field: str  # where, for messages: e.g. "observability_links.to-central.sink"
    stack: str
    kind: str
    name: str
    location: Location | None


class ConfigKind(Protocol):
    name: str  # the kind's name (`prune` keys)
    section: str | None  # top-level config key holding its entries
    entry_model: type["BaseModel"] | None  # validates one entry of `section`
    name_type: Any  # validates the entry names (keys) of `section`
    defaults_key: str | None  # `defaults.<key>` is merged into every entry
    generates: tuple[str, ...]  # kinds whose resources its entries expand into
    taggable: bool
    regional: bool
    one_per_place: bool  # AWS allows one per account and region (an OAM sink)

    def check(self, stack: "Stack") -> list[Diagnostic]: ...

    def defaults_ignored(self, entry: dict) -> frozenset[str]: ...

    def declared_names(self, stack: "Stack") -> dict[str, Location | None]: ...

    def generated_name_globs(self, stack: "Stack") -> dict[str, dict[str, Location | None]]: ...

    def stack_references(self, stack: "Stack") -> list[StackReference]: ...


# Kind name -> kind, in display order.
Registry = Mapping[str, ConfigKind]
