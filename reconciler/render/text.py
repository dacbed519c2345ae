"""Terraform-like text plan: `+` create, `~` update, `-` delete, `!` conflict."""

from __future__ import annotations

from reconciler.plan import Action, Change, Plan, leaf_fields
from reconciler.render.values import (CAUSES, attribution_line, data_loss_line, drifted,
                                      left_behind, show,
                                      summary_line)

_VERB = {Action.CREATE: "will be created", Action.UPDATE: "will be updated in place",
         Action.DELETE: "will be deleted", Action.CONFLICT: "cannot be managed"}


def render(plan: Plan) -> str:
    left = left_behind(plan)
    if not plan.has_changes and not plan.kept:
        if left:  # AWS holds more than the config: not "matches"
            return "No changes.\n" + "\n".join(left) + "\n"
        return "No changes. AWS matches the configuration.\n"
    lines: list[str] = []
    for stack in plan.stacks:
        if not stack.changes and not stack.kept:
            continue
        lines.append(f"Stack {stack.stack} ({stack.region}):")
        lines.append("")
        for change in stack.changes:
            lines += _change_lines(change)
            lines.append("")
        for kept in stack.kept:
            lines += [f"  # {kept.address} is kept, not deleted: {kept.reason}", ""]
    lines += _data_loss_lines(plan.data_loss)
    counts = plan.counts()
    lines.append(summary_line(counts))
    lines += left
    if drifted(plan.changes):
        lines.append(f"{len(drifted(plan.changes))} of the updates are drift: AWS was changed "
                     "outside obsctl since the last apply.")
    if counts["conflict"]:
        lines.append(f"{counts['conflict']} conflict(s): resources that exist in AWS but are not "
                     "owned by this stack are never changed.")
    if plan.kept:
        lines.append(f"{len(plan.kept)} kept: another stack of this run declares them, so "
                     "--prune does not delete them.")
    return "\n".join(lines) + "\n"


def _data_loss_lines(changes: list[Change]) -> list[str]:
    if not changes:
        return []
    lines = [f"Will destroy data: {data_loss_line(changes)}:"]
    lines += [f"  - {change.address}" for change in changes]
    return lines + [""]


def _change_lines(change: Change) -> list[str]:
    header = f"  # {change.address} {_VERB[change.action]}"
    if change.origin:
        header += f" (from {change.origin})"
    if change.reason:
        header += f": {change.reason}"
    if change.cause in CAUSES:
        header += f" ({CAUSES[change.cause]})"
    lines = [header]
    attribution = attribution_line(change.attribution)
    if attribution:
        lines.append(f"  # {attribution}")
    lines.append(f"  {change.action.symbol} {change.address}")
    if change.action is Action.CREATE:
        lines += [f"      + {f.path} = {show(f.after)}" for f in leaf_fields(change.after or {})]
    elif change.action is Action.UPDATE:
        lines += [f"      ~ {f.path}: {show(f.before)} -> {show(f.after)}" for f in change.fields]
    return lines
