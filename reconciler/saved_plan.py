"""Saved plans (`plan --out FILE`, `apply FILE`): Terraform's stale-plan rule for obsctl.

A saved plan is the JSON plan plus what it was made from: the config paths and options, each
stack's config digest, a fingerprint of every live resource it read, and where each stack was
planned (account from STS GetCallerIdentity, region, endpoint). `apply FILE` plans
again from the same inputs and applies only if nothing moved; otherwise it refuses, naming
what changed, before any write; and only where it was made (a plan of creates would apply
anywhere else just as well, into the wrong account).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.config.loader import YAML_SUFFIXES
from reconciler.diagnostics import ObsctlError
from reconciler.plan import Plan, address, split_address
from reconciler.plan_document import change_document, plan_document

if TYPE_CHECKING:
    from reconciler.aws import AwsContext
    from reconciler.engine import StackState

SAVED_KIND = "obsctl-saved-plan"  # the `saved.kind` marker
# 2: each stack records where it was planned (account, region, endpoint). Files without a
# version are version 1, which did not, so they cannot be checked and are refused.
SAVED_VERSION = 2


@dataclass(frozen=True)
class PlanRequest:
    """Everything that decides what a plan contains, besides AWS itself."""

    paths: tuple[str, ...] = (".",)
    targets: tuple[str, ...] = ()
    adopt: tuple[str, ...] = ()
    prune: bool = False
    allow_mass_delete: bool = False
    changed_since: str | None = None


@dataclass(frozen=True)
class PlannedIn:
    """Where a stack was planned: a plan of creates is only valid there."""

    account: str
    region: str
    endpoint: str | None  # None: AWS itself

    @classmethod
    def of(cls, aws: AwsContext) -> "PlannedIn":
        endpoint = aws.endpoint_url.rstrip("/") if aws.endpoint_url else None
        return cls(account=aws.scope.account_id, region=aws.region, endpoint=endpoint)


@dataclass
class SavedPlan:
    request: PlanRequest
    digests: dict[str, str] = field(default_factory=dict)  # stack -> config digest
    fingerprints: dict[str, dict[str, str]] = field(default_factory=dict)  # stack -> address -> fp
    planned_in: dict[str, PlannedIn] = field(default_factory=dict)  # stack -> where
    changes: list[dict] = field(default_factory=list)


def save(plan: Plan, states: list[StackState], request: PlanRequest, path: str) -> None:
    document = plan_document(plan)
    planned_in = {state.stack.name: PlannedIn.of(state.aws) for state in states}
    document["saved"] = {
        "kind": SAVED_KIND,
        "version": SAVED_VERSION,
        "request": asdict(request),
        "stacks": {s.stack: {"config_digest": s.config_digest,
                             "live_fingerprints": s.live_fingerprints,
                             "planned_in": asdict(planned_in[s.stack])} for s in plan.stacks},
    }
    Path(path).write_text(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def is_saved_plan(path: str) -> bool:
    """`apply PLANFILE`: one file that is not a YAML config (`plan.json`, `tfplan`, ...)."""
    return Path(path).is_file() and Path(path).suffix.lower() not in YAML_SUFFIXES


def load(path: str) -> SavedPlan:
    """The saved plan in `path`, or ObsctlError with one line saying why it is not one."""
    saved, document = _saved_section(path)
    try:
        request = PlanRequest(**{k: tuple(v) if isinstance(v, list) else v
                                 for k, v in saved["request"].items()})
        stacks = saved["stacks"]
        _change_keys(document["changes"])  # what check_fresh compares must be there
        return SavedPlan(
            request=request,
            digests={name: s["config_digest"] for name, s in stacks.items()},
            fingerprints={name: _by_address(s["live_fingerprints"]) for name, s in stacks.items()},
            planned_in={name: PlannedIn(**s["planned_in"]) for name, s in stacks.items()},
            changes=document["changes"],
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ObsctlError(f"{path} is a damaged saved plan ({_brief(error)}); run "
                          "`obsctl plan --out` again") from None


def _by_address(fingerprints: dict[str, str]) -> dict[str, str]:
    """Fingerprints keyed by today's address form: a plan saved before `log_groups:/aws/...`
    replaced `log_groups//aws/...` still applies."""
    return {address(*split_address(key)): value for key, value in fingerprints.items()}


def _saved_section(path: str) -> tuple[dict, dict]:
    """The `saved` section and the whole document, once the format markers check out."""
    try:
        document = json.loads(Path(path).read_bytes())
    except OSError as error:
        raise ObsctlError(f"cannot read saved plan {path}: {error.strerror}") from None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError alike
        raise ObsctlError(f"{path} is not JSON ({_brief(error)}), so not a saved obsctl plan; "
                          "make one with `obsctl plan --out FILE`") from None
    saved = document.get("saved") if isinstance(document, dict) else None
    kind = saved.get("kind") if isinstance(saved, dict) else None
    if kind is None:
        raise ObsctlError(f"{path} is not a saved obsctl plan (no `saved.kind` marker; a "
                          "`plan --format json` output cannot be applied): make one with "
                          "`obsctl plan --out FILE`")
    if kind != SAVED_KIND:
        raise ObsctlError(f"{path} is not a saved obsctl plan: its marker `saved.kind` is "
                          f"{_quoted(kind)}, expected {_quoted(SAVED_KIND)}")
    version = saved.get("version", 1)
    if version == SAVED_VERSION:
        return saved, document
    if not isinstance(version, int) or isinstance(version, bool):
        raise ObsctlError(f"{path} has an unknown saved-plan version {_quoted(version)} (this "
                          f"obsctl reads version {SAVED_VERSION}); run `obsctl plan --out` again")
    if version < SAVED_VERSION:
        raise ObsctlError(f"{path} was saved by an older obsctl (saved-plan version {version}) "
                          "that did not record the account, region and endpoint it was made "
                          "for; run `obsctl plan --out` again")
    raise ObsctlError(f"{path} was saved by a newer obsctl (saved-plan version {version}; this "
                      f"one reads version {SAVED_VERSION}): upgrade obsctl, or run `obsctl plan "
                      "--out` again with this one")


def _brief(error: Exception) -> str:
    """One printable line about a parse error (the file may hold anything)."""
    text = f"missing {error}" if isinstance(error, KeyError) else str(error)
    return json.dumps(text)[1:-1]


def check_planned_in(saved: SavedPlan, states: list[StackState], path: str) -> None:
    """Refuse (ObsctlError) unless every stack is about to be applied where it was planned."""
    problems = []
    for state in states:
        name = state.stack.name
        planned, now = saved.planned_in.get(name), PlannedIn.of(state.aws)
        if planned is None or planned == now:
            continue  # a stack the plan does not have: check_fresh names it
        for what in ("account", "region", "endpoint"):
            if getattr(planned, what) != getattr(now, what):
                problems.append(f"stack {_quoted(name)} was planned in {what} "
                                f"{_where(getattr(planned, what))}, this run is in "
                                f"{_where(getattr(now, what))}")
    if problems:
        raise ObsctlError(f"saved plan {path} was made elsewhere; nothing was applied: "
                          f"{'; '.join(problems)}. Apply it where it was made, or plan again here.")


def _where(value: str | None) -> str:
    return "AWS (no endpoint override)" if value is None else _quoted(value)


def check_fresh(saved: SavedPlan, current: Plan, path: str) -> None:
    """Refuse (ObsctlError) unless `current` was made from the same config and live state."""
    problems = []
    for stack in current.stacks:
        if saved.digests.get(stack.stack) != stack.config_digest:
            problems.append(f"the config of stack {stack.stack!r} changed")
            continue
        before = saved.fingerprints.get(stack.stack, {})
        for moved in sorted(set(before) | set(stack.live_fingerprints)):
            if before.get(moved) != stack.live_fingerprints.get(moved):
                problems.append(f"{moved} changed in AWS")
    if set(saved.digests) != {s.stack for s in current.stacks}:
        problems.append("the config now has other stacks")
    if not problems and _change_keys(saved.changes) != _change_keys(
            [change_document(c) for c in current.changes]):
        problems.append("the planned changes differ (e.g. an endpoint appeared or disappeared)")
    if problems:
        listed = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ObsctlError(f"saved plan {path} is stale; nothing was applied:\n  {listed}{more}\n"
                          "Run `obsctl plan --out` again and review the new plan.")


def _change_keys(changes: list[dict]) -> list[tuple]:
    return sorted((c["stack"], c["kind"], c["name"], c["action"],
                   json.dumps(c["after"], sort_keys=True, default=str)) for c in changes)


def _quoted(value) -> str:
    """A value from a plan file in a message: JSON-quoted (control characters escaped), cut."""
    text = json.dumps(value, default=str, ensure_ascii=True)
    return text if len(text) <= 120 else text[:100] + f"... ({len(text)} chars)"
