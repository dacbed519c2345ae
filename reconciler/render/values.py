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


CAUSES = {"drift": "drifted: changed outside obsctl since the last apply",
          "config+drift": "config changed, and AWS also changed outside obsctl"}


def drifted(changes) -> list:
    return [c for c in changes if c.cause in CAUSES]
