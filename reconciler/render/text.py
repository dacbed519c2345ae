"""Terraform-like text plan: `+` create, `~` update, `-` delete, `!` conflict.

Reads the plan document (reconciler/plan_document.py). Every line is written out with its
control characters made visible (an ESC sequence in a name would otherwise rewrite the
terminal above the apply prompt), and only then coloured.
"""

from __future__ import annotations

import os
import re
from typing import TextIO

from rich.color import ColorSystem
from rich.style import Style

from reconciler.plan import leaf_fields
from reconciler.render.escape import visible
from reconciler.render.field_diff import DiffLine, field_lines
from reconciler.render.values import (CAUSES, attribution_line, data_loss_line, destroys_data,
                                      drifted, left_behind, note_lines, plural, show,
                                      summary_line)
from reconciler.render.values import conflicts_line, kept_line

_VERB = {"create": "will be created", "update": "will be updated in place",
         "delete": "will be deleted", "conflict": "cannot be managed"}
_SYMBOL = {"create": "+", "update": "~", "delete": "-", "conflict": "!"}
# Terraform's colours: the symbol says what happens, the comment line says why.
_STYLE = {"+": Style(color="green"), "~": Style(color="yellow"), "-": Style(color="red"),
          "!": Style(color="red", bold=True), "#": Style(bold=True)}


def color_wanted(stream: TextIO) -> bool:
    """Colour on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def render(document: dict, color: bool = False) -> str:
    lines = [visible(line) for line in _lines(document)]
    if color:
        lines = [_colored(line) for line in lines]
    return "\n".join(lines) + "\n"


def _by_stack(entries: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for entry in entries:
        grouped.setdefault(entry["stack"], []).append(entry)
    return grouped


def _lines(document: dict) -> list[str]:
    changes, kept = document["changes"], document.get("kept", [])
    left = left_behind(document)
    notes = [f"Note: {line}" for line in note_lines(document)]
    if not changes and not kept:
        if left:  # AWS holds more than the config: not "matches"
            return ["No changes.", *left, *notes]
        return ["No changes. AWS matches the configuration.", *notes]
    lines: list[str] = []
    changes_of, kept_of = _by_stack(changes), _by_stack(kept)  # not a scan per stack
    for stack in document["stacks"]:
        stack_changes = changes_of.get(stack["stack"], [])
        stack_kept = kept_of.get(stack["stack"], [])
        if not stack_changes and not stack_kept:
            continue
        lines += [f"Stack {stack['stack']} ({stack['region']}):", ""]
        for change in stack_changes:
            lines += [*_change_lines(change), ""]
        for k in stack_kept:
            lines += [f"  # {k['address']} is kept, not deleted: {k['reason']}", ""]
    lines += _data_loss_lines(destroys_data(changes))
    counts = document["summary"]
    lines.append(summary_line(counts))
    lines += left
    if drifted(changes):
        drift = len(drifted(changes))
        lines.append(f"{plural(drift, 'update')} {'is' if drift == 1 else 'are'} drift: AWS was "
                     "changed outside obsctl since the last apply.")
    if counts["conflict"]:
        lines.append(conflicts_line(counts["conflict"]))
    if kept:
        lines.append(f"{len(kept)} kept: {kept_line(len(kept))}.")
    return lines + notes


def _data_loss_lines(changes: list[dict]) -> list[str]:
    if not changes:
        return []
    lines = [f"Will destroy data: {data_loss_line(changes)}:"]
    lines += [f"  - {change['address']}" for change in changes]
    return lines + [""]


def _change_lines(change: dict) -> list[str]:
    action = change["action"]
    header = f"  # {change['address']} {_VERB[action]}"
    if change.get("origin"):
        header += f" (from {change['origin']})"
    if change.get("reason"):
        header += f": {change['reason']}"
    if change.get("cause") in CAUSES:
        header += f" ({CAUSES[change['cause']]})"
    lines = [header]
    attribution = attribution_line(change.get("attribution"))
    if attribution:
        lines.append(f"  # {attribution}")
    lines.append(f"  {_SYMBOL[action]} {change['address']}")
    if action == "create":
        lines += [f"      + {f.path} = {show(f.after)}" for f in leaf_fields(change["after"] or {})]
    elif action == "update":
        for field in change["fields"]:
            lines += [_field_line(line)
                      for line in field_lines(field["path"], field["before"], field["after"])]
    return lines


def _field_line(line: DiffLine) -> str:
    if line.symbol == "~":
        return f"      ~ {line.text}: {line.before} -> {line.after}"
    return f"      {line.symbol} {line.text}"


def _colored(line: str) -> str:
    """A line's symbol is at column 3 (resource) or 7 (field); other lines stay plain."""
    symbol = re.match(r"(?:  |      )([-+~!#]) ", line)
    if not symbol:
        return line
    return _STYLE[symbol.group(1)].render(line, color_system=ColorSystem.STANDARD)
