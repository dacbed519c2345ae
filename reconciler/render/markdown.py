"""A pull-request comment: summary line, a table of changes, a <details> block each.

The whole comment stays under GitHub's size limit: rows, then details, are added while they
fit, and a note says what was left out.
"""

from __future__ import annotations

from reconciler.plan import Action, Change, Plan, leaf_fields
from reconciler.render.values import (CAUSES, attribution_line, data_loss_line, drifted,
                                      left_behind, show,
                                      summary_line)

# GitHub rejects comments over 65,536 characters; leave room for the note.
MAX_COMMENT_CHARS = 60_000
_ICON = {Action.CREATE: "🟢 create", Action.UPDATE: "🟡 update", Action.DELETE: "🔴 delete",
         Action.CONFLICT: "⛔ conflict"}


def render(plan: Plan) -> str:
    stacks = ", ".join(f"`{s.stack}`" for s in plan.stacks)
    title = f"### obsctl plan for {stacks}\n\n"
    left = "".join(f"{line}\n\n" for line in left_behind(plan, "`--prune`"))
    if not plan.has_changes:
        if left:
            return title + "**No changes.**\n\n" + left + _kept(plan)
        return title + "**No changes.** AWS matches the configuration.\n" + _kept(plan)
    out = title + f"**{summary_line(plan.counts())}**\n\n" + left
    out += _data_loss(plan.data_loss) + _kept(plan)
    drift = drifted(plan.changes)
    if drift:
        names = ", ".join(f"`{c.address}`" for c in drift[:10]) + (" and more" if len(drift) > 10 else "")
        out += (f"⚠️ **{len(drift)} drifted** — changed outside obsctl since the last apply "
                f"(applying reverts them): {names}\n\n")
    out += "| Action | Resource | Changed fields |\n| --- | --- | --- |\n"
    rows = [_row(c, show_stack=len(plan.stacks) > 1) for c in plan.changes]
    shown_rows = _fit(out, rows)
    out += "".join(rows[:shown_rows])
    if shown_rows < len(rows):
        return out + _omitted(len(rows) - shown_rows, "row")
    blocks = [_details(c) for c in plan.changes]
    shown_blocks = _fit(out, blocks)
    out += "".join(blocks[:shown_blocks])
    if shown_blocks < len(blocks):
        out += _omitted(len(blocks) - shown_blocks, "details block")
    return out


def _data_loss(changes: list[Change]) -> str:
    if not changes:
        return ""
    names = ", ".join(f"`{c.address}`" for c in changes[:10]) + (" and more" if len(changes) > 10 else "")
    return f"> [!WARNING]\n> **Destroys data:** {data_loss_line(changes)}: {names}\n\n"


def _kept(plan: Plan) -> str:
    if not plan.kept:
        return ""
    lines = [f"🛡️ **{len(plan.kept)} kept** — another stack of this run declares them, so "
             "`--prune` does not delete them:\n"]
    lines += [f"- `{k.stack}` · `{k.address}`: {_plain(k.reason)}\n" for k in plan.kept[:20]]
    if len(plan.kept) > 20:
        lines.append(f"- and {len(plan.kept) - 20} more\n")
    return "".join(lines) + "\n"


def _fit(prefix: str, parts: list[str]) -> int:
    """How many of `parts` fit after `prefix` within the comment budget."""
    size = len(prefix)
    for count, part in enumerate(parts):
        size += len(part)
        if size > MAX_COMMENT_CHARS:
            return count
    return len(parts)


def _omitted(count: int, what: str) -> str:
    return (f"\n_{count} more {what}(s) not shown: the comment would exceed GitHub's size "
            "limit. Run `obsctl plan` for the full plan._\n")


def _row(change: Change, show_stack: bool) -> str:
    fields = ", ".join(f"`{f.path}`" for f in change.fields[:8])
    if len(change.fields) > 8:
        fields += f" and {len(change.fields) - 8} more"
    if change.action is Action.CONFLICT:
        fields = change.reason or ""
    origin = f" <sub>from {change.origin}</sub>" if change.origin else ""
    stack = f"`{change.stack}` · " if show_stack else ""
    cause = " · drift" if change.cause in CAUSES else ""
    attribution = attribution_line(change.attribution)
    if attribution:
        fields += f"<br><sub>{_escape(attribution)}</sub>"
    return f"| {_ICON[change.action]}{cause} | {stack}`{change.address}`{origin} | {fields} |\n"


def _escape(text: str) -> str:
    """A CloudTrail user name inside a table cell and HTML: no markup, no column breaks."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|"))


def _plain(text: str) -> str:
    """Text shown as written (a file name holds anything): no markup, link or HTML."""
    escaped = "".join(f"\\{c}" if c in "\\`*_[]()|~!#" else c for c in text)
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _details(change: Change) -> str:
    if change.action is Action.UPDATE:
        lines = [line for f in change.fields
                 for line in (f"- {f.path}: {show(f.before)}", f"+ {f.path}: {show(f.after)}")]
    elif change.action is Action.CREATE:
        lines = [f"+ {f.path}: {show(f.after)}" for f in leaf_fields(change.after or {})]
    else:
        lines = [f"{change.action.symbol} {change.address}: {change.reason or ''}"]
    attribution = attribution_line(change.attribution)
    note = f"{_escape(attribution)}\n\n" if attribution else ""
    return (f"\n<details><summary><code>{change.address}</code> ({change.action.value})"
            "</summary>\n\n" + note + "```diff\n" + "\n".join(lines) + "\n```\n</details>\n")
