"""What both YAML paths share: the limits, libyaml's events, YAML 1.2 tag resolution (as
ruamel resolves, so `on`/`yes` stay strings), scalar construction, and the error that stops
reading a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode as RuamelScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from reconciler.diagnostics import Location


@dataclass
class SourceDocument:
    path: str  # as the user gave it (or as found under the directory they gave)
    data: dict  # plain Python: dict, list, str, int, float, bool, None
    sources: dict[tuple, Location] = field(default_factory=dict)  # key path -> where written

MAX_NODES = 100_000  # values in one document, counted after alias and merge expansion
MAX_DEPTH = 100  # nesting levels; also keeps ruamel's recursive composer far from Python's limit

YAML_TAG = "tag:yaml.org,2002:"
MAP, SEQ, MERGE = YAML_TAG + "map", YAML_TAG + "seq", YAML_TAG + "merge"


class Unreadable(Exception):
    """A problem that stops reading a file; the rest of the file is not looked at."""

    def __init__(self, message: str, line: int = 1, col: int = 1):
        super().__init__(message)
        self.message, self.line, self.col = message, line, col

    @classmethod
    def at(cls, message: str, mark) -> "Unreadable":
        return cls(message, mark.line + 1, mark.column + 1)


# libyaml when PyYAML was built with it; its pure parser otherwise (slower, same events).
PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def events(text: str) -> Iterator[Any]:
    """The parser's events (`yaml.parse` without its generator: a few percent faster)."""
    return iter(PARSER(text).get_event, None)


RESOLVER = VersionedResolver(version=(1, 2))
STR, NULL = YAML_TAG + "str", YAML_TAG + "null"
# ruamel's YAML 1.2 implicit resolvers by first character, as `RESOLVER.resolve` walks them
# (without re-reading the processing version for every scalar): first character -> (tag, match).
IMPLICIT: dict[str, tuple[tuple[str, Any], ...]] = {
    first: tuple((str(Tag(suffix=tag)), regexp.match)
                 for tag, regexp in resolvers + RESOLVER.versioned_resolver.get(None, []))
    for first, resolvers in RESOLVER.versioned_resolver.items() if first is not None
}
IMPLICIT_ANY = tuple((str(Tag(suffix=tag)), regexp.match)
                      for tag, regexp in RESOLVER.versioned_resolver.get(None, []))
DEFAULT_SCALAR = str(RESOLVER.DEFAULT_SCALAR_TAG)


def resolve(value: str, implicit: tuple[bool, bool]) -> str:
    """The YAML 1.2 tag of an untagged scalar: what `RESOLVER.resolve(ScalarNode, value,
    implicit)` answers (tests/config/test_loader.py holds them equal)."""
    if not implicit[0]:
        return DEFAULT_SCALAR
    tag = resolved.get(value)
    if tag is None:
        tag = DEFAULT_SCALAR
        for candidate, match in IMPLICIT.get(value[:1], IMPLICIT_ANY):
            if match(value):
                tag = candidate
                break
        if len(resolved) < _RESOLVED_CACHE_SIZE:
            resolved[value] = tag
    return tag


_RESOLVED_CACHE_SIZE = 4096
resolved: dict[str, str] = {}  # plain scalar text -> tag: config files repeat values a lot


_CONSTRUCTOR = YAML(typ="safe", pure=True).constructor
CONSTRUCTORS = {"int": _CONSTRUCTOR.construct_yaml_int, "float": _CONSTRUCTOR.construct_yaml_float,
                 "bool": _CONSTRUCTOR.construct_yaml_bool}
_CONSTRUCTED_CACHE_SIZE = 4096
_constructed: dict[tuple[str, str], Any] = {}  # (kind, text) -> value: config repeats numbers
# Untagged scalar tags the plain path builds, and how.
PLAIN_VALUES = {STR: "str", YAML_TAG + "timestamp": "str", NULL: "null",
                 YAML_TAG + "int": "int", YAML_TAG + "float": "float", YAML_TAG + "bool": "bool"}


def construct(kind: str, tag: str, text: str) -> Any:
    """An int, float or bool by ruamel's YAML 1.2 rules (ValueError when `text` is none)."""
    value = _constructed.get((kind, text), INVALID)
    if value is INVALID:
        # ruamel's YAML 1.2 number/bool rules want its own node type.
        value = CONSTRUCTORS[kind](RuamelScalarNode(tag, text, None))
        if len(_constructed) < _CONSTRUCTED_CACHE_SIZE:
            _constructed[(kind, text)] = value  # immutable values: safe to share
    return value
new_location = tuple.__new__  # Location(file, line, col) without the Python-level __new__


INVALID = object()  # a key that could not be read (already reported)
