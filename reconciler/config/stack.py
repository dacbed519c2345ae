"""A validated stack: the config model plus where every value came from."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from reconciler.diagnostics import Location


@dataclass
class Stack:
    name: str
    config: Any  # the validated StackConfig model (one attribute per section)
    sources: dict[tuple, Location] = field(default_factory=dict)  # config path -> location
    files: list[str] = field(default_factory=list)
    digest: str = ""  # sha256 of the stack's validated config, for saved plans

    def locate(self, *path) -> Location | None:
        """Location of the deepest known prefix of `path` (merged defaults have their own)."""
        return locate(self.sources, path)

    def section(self, name: str) -> dict:
        return getattr(self.config, name, None) or {}

    @property
    def region(self) -> str | None:
        return self.config.region

    @property
    def tags(self) -> dict[str, str]:
        return dict(self.config.tags)

    def prune_patterns(self, kind: str) -> list[str]:
        return list(self.config.prune.get(kind, []))

    def owns_by_pattern(self, kind: str, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, p) for p in self.prune_patterns(kind))


def locate(sources: dict[tuple, Location], path: tuple) -> Location | None:
    """Location of the deepest prefix of `path` that `sources` knows."""
    for end in range(len(path), -1, -1):
        location = sources.get(tuple(path[:end]))
        if location is not None:
            return location
    return None
