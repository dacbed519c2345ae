"""The machine-readable plan: the plan document (reconciler/plan_document.py) as JSON."""

from __future__ import annotations

import json


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"
