"""The part of a stack that passed validation, for the kinds' cross-entry checks.

One wrong type must not hide the stack's dangling references, rule typos and pattern errors
until it is fixed (one round per kind of error). So when a stack fails validation, the
entries that failed (and settings or whole sections that failed) are left out, the rest is
validated again, and the kinds' checks run on that part.

Leaving an entry out can only make the checks see less: a reference to it, or to a name it
generates, would look dangling. Such diagnostics are withheld: a check's message that quotes
the name of a left-out entry or, for an entry of a kind that generates resources, a name that
starts with its name or with one of the strings it holds (a model monitor's drift alarms are
named after it or by an explicit `name`; an endpoint monitor's after the endpoints its names
or glob match, `prod-*`). They show after the fix if they are still true.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from pydantic import BaseModel, ValidationError

from reconciler.config.registry import ConfigKind
from reconciler.config.stack import Stack
from reconciler.diagnostics import Diagnostic

if TYPE_CHECKING:
    from reconciler.config.validate import Draft

# Leaving out what failed may make what depended on it fail in turn (role_external_id
# without role_arn); a few rounds settle that.
MAX_ROUNDS = 4
# Stands in for a `stack` name that failed validation; the Stack keeps the name written.
STAND_IN_NAME = "stack"


@dataclass(frozen=True)
class PartialStack:
    stack: Stack  # the entries and settings that passed validation
    quoted_names: frozenset[str]  # a check's message quoting one of these is withheld
    quoted_prefixes: tuple[str, ...]  # ... or quoting a name that starts with one of these
    settings_valid: bool  # region, role and the rest passed: cross-stack checks may use it

    def trusted(self, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
        """The diagnostics of checks on this part that no left-out entry may have caused."""
        return [d for d in diagnostics if not self._may_follow_from_left_out(d.message)]

    def _may_follow_from_left_out(self, message: str) -> bool:
        return (any(quoted in message for quoted in self.quoted_names)
                or any(prefix in message for prefix in self.quoted_prefixes))


def partial_stack(draft: "Draft", errors: list[dict], model: type[BaseModel],
                  registered: Iterable[ConfigKind]) -> PartialStack | None:
    """The part of `draft` that passes `model`, given the `errors` of validating all of it;
    None when the errors are not about parts that can be left out."""
    kinds = {kind.section: kind for kind in registered if kind.section}
    data, left_out, failed_keys = draft.data, set(), set()
    for _ in range(MAX_ROUNDS):
        failures = _failures(errors, data, kinds)
        if failures is None:
            return None
        entries, keys = failures
        left_out |= entries
        failed_keys |= keys
        data = _without(data, entries, keys)
        try:
            config = model.model_validate(data)
        except ValidationError as error:
            errors = error.errors(include_url=False)
            continue
        stack = Stack(name=draft.name, config=config, sources=draft.sources, files=draft.files)
        names, prefixes = _quoted(left_out, draft.data, kinds)
        return PartialStack(stack, names, prefixes, settings_valid=failed_keys <= kinds.keys())
    return None


def _failures(errors: list[dict], data: dict, kinds: dict[str, ConfigKind]
              ) -> tuple[set[tuple[str, Any]], set[Any]] | None:
    """(section, entry name) of the entries that failed, and the other top-level keys that
    did; None if an error is about the stack as a whole, or nothing is left to leave out."""
    entries, keys = set(), set()
    for error in errors:
        loc = error["loc"]
        if not loc or loc[0] not in data:
            return None
        section = data[loc[0]]
        if loc[0] in kinds and isinstance(section, dict) and len(loc) > 1 and loc[1] in section:
            entries.add((loc[0], loc[1]))
        else:
            keys.add(loc[0])
    return (entries, keys) if entries or keys else None


def _without(data: dict, entries: set[tuple[str, Any]], keys: set[Any]) -> dict:
    """A copy of `data` without the failed entries and keys (the draft stays as it is)."""
    kept = {key: value for key, value in data.items() if key not in keys}
    if "stack" in keys:
        kept["stack"] = STAND_IN_NAME
    for section in {section for section, _ in entries}:
        kept[section] = {name: entry for name, entry in data[section].items()
                         if (section, name) not in entries}
    return kept


def _quoted(left_out: set[tuple[str, Any]], data: dict, kinds: dict[str, ConfigKind]
            ) -> tuple[frozenset[str], tuple[str, ...]]:
    """How messages quote the names that left-out entries have or generate (`{name!r}`)."""
    names, prefixes = set(), set()
    for section, name in left_out:
        names.add(repr(str(name)))
        if kinds[section].generates:
            for text in (str(name), *_strings(data[section][name])):
                prefixes.add(repr(_before_glob(text))[:-1])  # the opening quote and the text
    return frozenset(names), tuple(sorted(prefixes))


def _before_glob(text: str) -> str:
    """The part of an `fnmatch` glob before its first wildcard (all of a plain name)."""
    cut = min((text.index(char) for char in "*?[" if char in text), default=len(text))
    return text[:cut]


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
