"""How a single value is shown in text and markdown plans."""

from __future__ import annotations

import json
from typing import Any

MAX_VALUE_CHARS = 200


def show(value: Any) -> str:
    if value is None:
        return "(none)"
    text = json.dumps(value, sort_keys=True, separators=(", ", ": "), default=str)
    if len(text) > MAX_VALUE_CHARS:
        return text[: MAX_VALUE_CHARS - 15] + f"... ({len(text)} chars)"
    return text


def summary_line(counts: dict[str, int]) -> str:
    return (f"Plan: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['delete']} to delete.")


def left_behind(plan, flag: str = "--prune") -> list[str]:
    """One line per stack whose plan, made without --prune, leaves owned resources that the
    config no longer has (`StackPlan.unmanaged_owned`)."""
    lines = []
    for stack in plan.stacks:
        count = len(stack.unmanaged_owned)
        if not count:
            continue
        what = "1 owned resource is" if count == 1 else f"{count} owned resources are"
        where = f"Stack {stack.stack}: " if len(plan.stacks) > 1 else ""
        lines.append(f"{where}{what} not in the config; {flag} deletes "
                     f"{'it' if count == 1 else 'them'}.")
    return lines


CAUSES = {"drift": "drifted: changed outside obsctl since the last apply",
          "config+drift": "config changed, and AWS also changed outside obsctl"}


def data_loss_line(changes) -> str:
    """What the deletes that destroy data destroy, for text and markdown plans."""
    if len(changes) == 1:
        return "deleting 1 log group deletes every log event stored in it"
    return f"deleting {len(changes)} log groups deletes every log event stored in them"


def drifted(changes) -> list:
    return [c for c in changes if c.cause in CAUSES]


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
