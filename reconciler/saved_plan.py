"""Saved plans (`plan --out FILE`, `apply FILE`): Terraform's stale-plan rule for obsctl.

A saved plan is the JSON plan plus what it was made from: the config paths and options, each
stack's config digest, and a fingerprint of every live resource it read. `apply FILE` plans
again from the same inputs and applies only if nothing moved; otherwise it refuses, naming
what changed, before any write.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from reconciler.diagnostics import ObsctlError
from reconciler.plan import Plan
from reconciler.render.json_plan import plan_document

SAVED_KIND = "obsctl-saved-plan"


@dataclass(frozen=True)
class PlanRequest:
    """Everything that decides what a plan contains, besides AWS itself."""

    paths: tuple[str, ...] = (".",)
    targets: tuple[str, ...] = ()
    adopt: tuple[str, ...] = ()
    prune: bool = False
    allow_mass_delete: bool = False


@dataclass
class SavedPlan:
    request: PlanRequest
    digests: dict[str, str] = field(default_factory=dict)  # stack -> config digest
    fingerprints: dict[str, dict[str, str]] = field(default_factory=dict)  # stack -> address -> fp
    changes: list[dict] = field(default_factory=list)


def save(plan: Plan, request: PlanRequest, path: str) -> None:
    document = plan_document(plan)
    document["saved"] = {
        "kind": SAVED_KIND,
        "request": asdict(request),
        "stacks": {s.stack: {"config_digest": s.config_digest,
                             "live_fingerprints": s.live_fingerprints} for s in plan.stacks},
    }
    Path(path).write_text(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def is_saved_plan(path: str) -> bool:
    return path.endswith(".json") and Path(path).is_file()


def load(path: str) -> SavedPlan:
    try:
        document = json.loads(Path(path).read_text())
        saved = document["saved"]
        if saved.get("kind") != SAVED_KIND:
            raise KeyError("kind")
        request = PlanRequest(**{k: tuple(v) if isinstance(v, list) else v
                                 for k, v in saved["request"].items()})
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ObsctlError(f"{path} is not a saved obsctl plan (made by `obsctl plan --out`): "
                          f"{error}") from None
    return SavedPlan(
        request=request,
        digests={name: s["config_digest"] for name, s in saved["stacks"].items()},
        fingerprints={name: s["live_fingerprints"] for name, s in saved["stacks"].items()},
        changes=document["changes"],
    )


def check_fresh(saved: SavedPlan, current: Plan, path: str) -> None:
    """Refuse (ObsctlError) unless `current` was made from the same config and live state."""
    problems = []
    for stack in current.stacks:
        if saved.digests.get(stack.stack) != stack.config_digest:
            problems.append(f"the config of stack {stack.stack!r} changed")
            continue
        before = saved.fingerprints.get(stack.stack, {})
        for address in sorted(set(before) | set(stack.live_fingerprints)):
            if before.get(address) != stack.live_fingerprints.get(address):
                problems.append(f"{address} changed in AWS")
    if set(saved.digests) != {s.stack for s in current.stacks}:
        problems.append("the config now has other stacks")
    if not problems and _change_keys(saved.changes) != _change_keys(
            [c.to_dict() for c in current.changes]):
        problems.append("the planned changes differ (e.g. an endpoint appeared or disappeared)")
    if problems:
        listed = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ObsctlError(f"saved plan {path} is stale; nothing was applied:\n  {listed}{more}\n"
                          "Run `obsctl plan --out` again and review the new plan.")


def _change_keys(changes: list[dict]) -> list[tuple]:
    return sorted((c["stack"], c["kind"], c["name"], c["action"],
                   json.dumps(c["after"], sort_keys=True, default=str)) for c in changes)
