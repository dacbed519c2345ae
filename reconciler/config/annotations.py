"""Diagnostics as GitHub Actions workflow commands (`validate --format github`): one
`::error file=F,line=L,col=C::message` line each, which a workflow run shows as an annotation
on that line of the pull request's diff. The runner reads them from stdout.

Config text is hostile: a message or file name could end the command early or start another
one on a new line. So they are escaped as the runner unescapes them (actions/toolkit's
command.ts): `%`, CR and LF in the message; also `:` and `,` in a property value.
"""

from __future__ import annotations

from typing import Iterable

from reconciler.diagnostics import Diagnostic


def github_annotations(diagnostics: Iterable[Diagnostic]) -> str:
    """One `::error` workflow command per diagnostic, by file, line and column, each ending
    in a newline ("" for none)."""
    return "".join(annotation(d) + "\n" for d in sorted(diagnostics, key=_position))


def annotation(diagnostic: Diagnostic) -> str:
    message = diagnostic.message + (f" ({diagnostic.hint})" if diagnostic.hint else "")
    where = diagnostic.location
    if where is None:
        return f"::error::{escape_data(message)}"
    return (f"::error file={escape_property(where.file)},line={where.line},col={where.col}"
            f"::{escape_data(message)}")


def escape_data(text: str) -> str:
    """The message of a workflow command (`%` first: the others' escapes contain it)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value of a workflow command, where `,` and `:` end it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _position(diagnostic: Diagnostic) -> tuple:
    where = diagnostic.location
    return (where.file, where.line, where.col) if where else ("", 0, 0)
