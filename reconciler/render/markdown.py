"""A pull-request comment: summary line, a table of changes, a <details> block each.

Reads the plan document (reconciler/plan_document.py). Every string of it comes from config
or AWS and is written through reconciler/render/escape.py: names as code, prose as
literal text, diff lines inside a fence no line can close; nothing in a plan can open an
HTML comment, end the table, or close a block.

The whole comment stays under GitHub's size limit: rows, then details, are added while they
fit, and a note says what was left out.
"""

from __future__ import annotations

from reconciler.plan import leaf_fields
from reconciler.render.escape import html_code, md_code, md_fence, md_text, visible
from reconciler.render.field_diff import DiffLine, field_lines
from reconciler.render.values import (CAUSES, attribution_line, conflicts_line, data_loss_line,
                                      destroys_data, drifted, kept_line, left_behind,
                                      note_lines, plural, show, summary_line)

# GitHub rejects comments over 65,536 characters; leave room for the note.
MAX_COMMENT_CHARS = 60_000
_ICON = {"create": "🟢 create", "update": "🟡 update", "delete": "🔴 delete",
         "conflict": "⛔ conflict"}
_SYMBOL = {"create": "+", "update": "~", "delete": "-", "conflict": "!"}


def render(document: dict) -> str:
    stacks = ", ".join(md_code(s["stack"]) for s in document["stacks"])
    title = f"### obsctl plan for {stacks}\n\n"
    if not document["stacks"]:  # --changed-since selected none: nothing was read
        return "### obsctl plan\n\n**No stack to plan**: no config file under the paths changed.\n"
    changes = document["changes"]
    left = "".join(f"{line}\n\n" for line in left_behind(document, "`--prune`", md_code))
    notes = _notes(document)
    if not changes:
        if left:
            return title + "**No changes.**\n\n" + left + _kept(document) + notes
        return title + "**No changes.** AWS matches the configuration.\n" + _kept(document) + notes
    out = title + f"**{summary_line(document['summary'])}**\n\n" + left + notes
    if document["summary"]["conflict"]:
        out += f"⛔ {conflicts_line(document['summary']['conflict'])}\n\n"
    out += _data_loss(destroys_data(changes)) + _kept(document)
    drift = drifted(changes)
    if drift:
        them = "it" if len(drift) == 1 else "them"
        out += (f"⚠️ **{len(drift)} drifted** — changed outside obsctl since the last apply "
                f"(applying reverts {them}): {_addresses(drift)}\n\n")
    out += "| Action | Resource | Changed fields |\n| --- | --- | --- |\n"
    rows = [_row(c, show_stack=len(document["stacks"]) > 1) for c in changes]
    shown_rows = _fit(out, rows)
    out += "".join(rows[:shown_rows])
    if shown_rows < len(rows):
        return out + _omitted(len(rows) - shown_rows, "row")
    blocks = [_details(c) for c in changes]
    shown_blocks = _fit(out, blocks)
    out += "".join(blocks[:shown_blocks])
    if shown_blocks < len(blocks):
        out += _omitted(len(blocks) - shown_blocks, "details block")
    return out


def _addresses(changes: list[dict]) -> str:
    return (", ".join(md_code(c["address"]) for c in changes[:10])
            + (" and more" if len(changes) > 10 else ""))


def _data_loss(changes: list[dict]) -> str:
    if not changes:
        return ""
    return f"> [!WARNING]\n> **Destroys data:** {data_loss_line(changes)}: {_addresses(changes)}\n\n"


def _kept(document: dict) -> str:
    kept = document.get("kept", [])
    if not kept:
        return ""
    because = kept_line(len(kept)).replace("--prune", "`--prune`")
    lines = [f"🛡️ **{len(kept)} kept** — {because}:\n"]
    lines += [f"- {md_code(k['stack'])} · {md_code(k['address'])}: {md_text(k['reason'])}\n"
              for k in kept[:20]]
    if len(kept) > 20:
        lines.append(f"- and {len(kept) - 20} more\n")
    return "".join(lines) + "\n"


def _notes(document: dict) -> str:
    lines = note_lines(document, md_code, md_code, md_text)
    return "".join(f"ℹ️ **Note:** {line}\n\n" for line in lines)


def _fit(prefix: str, parts: list[str]) -> int:
    """How many of `parts` fit after `prefix` within the comment budget."""
    size = len(prefix)
    for count, part in enumerate(parts):
        size += len(part)
        if size > MAX_COMMENT_CHARS:
            return count
    return len(parts)


def _omitted(count: int, what: str) -> str:
    return (f"\n_{plural(count, 'more ' + what)} not shown: the comment would exceed GitHub's size "
            "limit. Run `obsctl plan` for the full plan._\n")


def _row(change: dict, show_stack: bool) -> str:
    fields = change["fields"]
    cell = ", ".join(md_code(f["path"]) for f in fields[:8])
    if len(fields) > 8:
        cell += f" and {len(fields) - 8} more"
    if change["action"] == "conflict":
        cell = md_text(change.get("reason") or "")
    origin = f" <sub>from {md_text(change['origin'])}</sub>" if change.get("origin") else ""
    stack = f"{md_code(change['stack'])} · " if show_stack else ""
    cause = " · drift" if change.get("cause") in CAUSES else ""
    attribution = attribution_line(change.get("attribution"))
    if attribution:
        cell += f"<br><sub>{md_text(attribution)}</sub>"
    return (f"| {_ICON[change['action']]}{cause} | {stack}{md_code(change['address'])}{origin} "
            f"| {cell} |\n")


def _details(change: dict) -> str:
    action = change["action"]
    if action == "update":
        lines = [text for field in change["fields"]
                 for line in field_lines(field["path"], field["before"], field["after"])
                 for text in _diff_text(line)]
    elif action == "create":
        lines = [f"+ {f.path}: {show(f.after)}" for f in leaf_fields(change["after"] or {})]
    else:
        lines = [f"{_SYMBOL[action]} {change['address']}: {change.get('reason') or ''}"]
    body = "\n".join(visible(line) for line in lines)
    fence = md_fence(body)
    attribution = attribution_line(change.get("attribution"))
    note = f"{md_text(attribution)}\n\n" if attribution else ""
    return (f"\n<details><summary>{html_code(change['address'])} ({action})</summary>\n\n"
            f"{note}{fence}diff\n{body}\n{fence}\n</details>\n")


def _diff_text(line: DiffLine) -> list[str]:
    if line.symbol == "~":
        return [f"- {line.text}: {line.before}", f"+ {line.text}: {line.after}"]
    return [f"{line.symbol} {line.text}"]
