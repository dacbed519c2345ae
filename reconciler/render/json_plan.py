"""The machine-readable plan. Its shape is a public contract: bump FORMAT_VERSION on change.

{
  "format_version": "1.0",
  "stacks":  [{"stack", "region", "config_digest", "unmanaged_owned"}],
  "changes": [{"stack", "kind", "name", "address", "action", "before", "after",
               "fields": [{"path", "before", "after"}], "origin", "reason", "fingerprint",
               "data_loss"}],
  "kept":    [{"stack", "kind", "name", "address", "reason"}],
  "summary": {"create", "update", "delete", "conflict"}
}
"""

from __future__ import annotations

import json

from reconciler.plan import FORMAT_VERSION, Plan


def plan_document(plan: Plan) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "stacks": [{"stack": s.stack, "region": s.region, "config_digest": s.config_digest,
                    "unmanaged_owned": s.unmanaged_owned} for s in plan.stacks],
        "changes": [{"address": c.address, **c.to_dict()} for c in plan.changes],
        "kept": [k.to_dict() for k in plan.kept],
        "summary": plan.counts(),
    }


def render(plan: Plan) -> str:
    return json.dumps(plan_document(plan), indent=2, sort_keys=True, default=str) + "\n"
