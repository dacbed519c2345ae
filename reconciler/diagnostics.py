"""Errors as values: every problem the user can fix carries a `file:line:col` location.

Diagnostics are collected and shown together (Terraform's model), never raised one at a time.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple


def did_you_mean(wrong: str, candidates: Iterable[str], prefix: str = "") -> str | None:
    """A hint naming the candidate closest to `wrong` (written with `prefix`, e.g. "topic:"),
    or None when none is close."""
    close = difflib.get_close_matches(wrong, sorted(candidates), n=1)
    return f"did you mean {prefix + close[0]!r}?" if close else None


class Location(NamedTuple):
    """Where a value was written. A tuple, not a dataclass: the loader makes one per YAML
    node (tens of thousands for a large stack), and tuples are several times cheaper."""

    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    message: str
    location: Location | None = None
    hint: str | None = None  # e.g. "did you mean 'threshold'?"

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}error: {self.message}{hint}"


@dataclass
class ConfigError(Exception):
    """Raised once, after collecting every diagnostic of a config load."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(d) for d in sorted(self.diagnostics, key=_sort_key))


def _sort_key(diagnostic: Diagnostic):
    loc = diagnostic.location
    return (loc.file, loc.line, loc.col) if loc else ("", 0, 0)


class ObsctlError(Exception):
    """A failure that is not the user's config: AWS refused, a saved plan is stale, ..."""
