"""Progress on stderr for long reads and applies: only on a terminal, never with --quiet,
so CI logs and piped output stay clean."""

from __future__ import annotations

import sys
import threading

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from reconciler.text import visible


class Progress:
    def __init__(self, description: str, bar: RichProgress | None) -> None:
        self._bar = bar
        self._task = bar.add_task(description, total=None) if bar else None
        self._lock = threading.Lock()

    @classmethod
    def create(cls, description: str, quiet: bool) -> "Progress":
        if quiet or not sys.stderr.isatty():
            return cls(description, None)
        bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        return cls(description, bar)

    def total(self, count: int) -> None:
        if self._bar:
            self._bar.update(self._task, total=count)

    def describe(self, description: str) -> None:
        """A new description, for a wait whose state changes (an export task's status); never
        read as rich markup (it may quote AWS)."""
        if self._bar:
            self._bar.update(self._task, description=escape(visible(description)))

    def note(self, line: str) -> None:
        """A line on stderr above the bar (or alone without one), never read as markup."""
        if self._bar:
            self._bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            print(line, file=sys.stderr, flush=True)

    def advance(self) -> None:
        if self._bar:
            with self._lock:
                self._bar.advance(self._task)

    def __enter__(self) -> "Progress":
        if self._bar:
            self._bar.start()
        return self

    def __exit__(self, *_) -> None:
        if self._bar:
            self._bar.stop()
