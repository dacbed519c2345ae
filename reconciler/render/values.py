"""How values of a plan document are shown in text and markdown plans."""

from __future__ import annotations

import json
from typing import Any

from reconciler.text import plural

MAX_VALUE_CHARS = 200


def show(value: Any) -> str:
    if value is None:
        return "(none)"
    text = _json(value)
    if len(text) > MAX_VALUE_CHARS:
        return text[: MAX_VALUE_CHARS - 15] + f"... ({len(text)} chars)"
    return text


def is_cut(value: Any) -> bool:
    """Whether `show` cuts the value short."""
    return value is not None and len(_json(value)) > MAX_VALUE_CHARS


def show_pair(before: Any, after: Any) -> tuple[str, str]:
    """A changed value's before and after as shown. Cut at the same place, two long values
    can look the same: then both are shown around where they first differ."""
    shown = show(before), show(after)
    if shown[0] != shown[1] or before is None or after is None:
        return shown
    texts = _json(before), _json(after)
    if texts[0] == texts[1]:  # equal as JSON, e.g. two objects shown by str(): say which types
        return (f"{texts[0]} ({type(before).__name__})", f"{texts[1]} ({type(after).__name__})")
    start = next((i for i, (b, a) in enumerate(zip(*texts)) if b != a), min(map(len, texts)))
    begin = max(0, start - 40)
    end = begin + MAX_VALUE_CHARS - 40
    return tuple(("..." if begin else "") + text[begin:end]
                 + (f"... ({len(text)} chars)" if end < len(text) else "") for text in texts)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(", ", ": "), default=str)


def summary_line(counts: dict[str, int]) -> str:
    return (f"Plan: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['delete']} to delete.")


def kept_line(count: int) -> str:
    """Why a plan keeps `count` deletes (markdown adds its emphasis around the count)."""
    it = "it" if count == 1 else "them"
    return f"another stack of this run declares {it}, so --prune does not delete {it}"


def conflicts_line(count: int) -> str:
    """The summary of a plan's conflicts; each conflict's reason says whose it is and what
    would let this stack manage it."""
    if count == 1:
        return "1 conflict: it exists in AWS and this stack does not own it, so it is left alone."
    return (f"{count} conflicts: they exist in AWS and this stack does not own them, so they are "
            "left alone.")


def left_behind(document: dict, flag: str = "--prune", name=str) -> list[str]:
    """One line per stack whose plan, made without --prune, leaves owned resources that the
    config no longer has (`unmanaged_owned`); `name` shows a stack name in the format."""
    lines = []
    stacks = document["stacks"]
    for stack in stacks:
        count = len(stack.get("unmanaged_owned") or [])
        if not count:
            continue
        what = plural(count, "owned resource") + (" is" if count == 1 else " are")
        where = f"Stack {name(stack['stack'])}: " if len(stacks) > 1 else ""
        lines.append(f"{where}{what} not in the config; {flag} deletes "
                     f"{'it' if count == 1 else 'them'}.")
    return lines


def note_lines(document: dict, name=str, code=str, text=str) -> list[str]:
    """One line per note of the plan (not changes: what a preset cannot monitor and how to fix
    it); `name`, `code` and `text` show a stack name, the note's source and its prose."""
    stacks = document["stacks"]
    lines = []
    for note in document.get("notes", []):
        where = f"Stack {name(note['stack'])}, " if len(stacks) > 1 else ""
        lines.append(f"{where}{code(note['source'])}: {text(note['message'])}")
    return lines


CAUSES = {"drift": "drifted: changed outside obsctl since the last apply",
          "config+drift": "config changed, and AWS also changed outside obsctl"}


def data_loss_line(changes) -> str:
    """What the deletes that destroy data destroy, for text and markdown plans."""
    them = "it" if len(changes) == 1 else "them"
    return f"deleting {plural(len(changes), 'log group')} deletes every log event stored in {them}"


def drifted(changes: list[dict]) -> list[dict]:
    return [c for c in changes if c.get("cause") in CAUSES]


def destroys_data(changes: list[dict]) -> list[dict]:
    return [c for c in changes if c.get("data_loss")]


def attribution_line(attribution: dict | None) -> str | None:
    """One line for the text and markdown plans, or None (nothing to show)."""
    if not attribution:
        return None
    if attribution.get("status") == "found":
        return (f"changed by {attribution.get('username')} at {attribution.get('event_time')} "
                f"({attribution.get('event_name')})")
    if attribution.get("status") == "none":
        return f"no CloudTrail event found in the last {attribution['window_days']} days"
    return None  # unavailable: one note for the whole stack instead of one per resource
