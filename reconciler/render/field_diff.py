"""How one changed field of an update is shown, for text and markdown alike.

Most fields are one line, `path: before -> after`. Three shapes read better another way:
- a list of mappings whose length changed (dashboard widgets, policy statements, metric math
  queries): items are matched by what names them (Sid, id, title, position); under a line
  with the counts, an added or removed item is its own `+` or `-` line, and a kept one
  shows only what changed in it;
- a string of several lines on both sides (a saved query): a unified diff of its lines;
- a long JSON value (a dashboard body, a topic policy): a unified diff of indented JSON.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from reconciler.plan import diff_fields
from reconciler.render.values import is_cut, plural, show, show_pair


@dataclass(frozen=True)
class DiffLine:
    """`symbol` is "+", "-" or " " (context), with `text`; or "~", a value changed in place:
    `text` is its path, `before` and `after` the values as shown."""

    symbol: str
    text: str
    before: str = ""
    after: str = ""


def field_lines(path: str, before: Any, after: Any) -> list[DiffLine]:
    identity = _identity(before, after)
    if identity:
        return _matched_items(path, before, after, identity)
    if _multiline(before) and _multiline(after):
        return _unified(path, _text_lines(before), _text_lines(after))
    if _json_body(before) and _json_body(after) and (is_cut(before) or is_cut(after)):
        return _unified(path, _json_lines(before), _json_lines(after))
    shown_before, shown_after = show_pair(before, after)
    return [DiffLine("~", path, shown_before, shown_after)]


# What names an item of a list, tried in order: the first that names every item of both
# lists, each once, is used.
_NAMERS: list[tuple[str, Callable[[dict], Any]]] = [
    ("Sid", lambda item: item.get("Sid")),
    ("id", lambda item: item.get("id")),
    ("title", lambda item: (item.get("properties") or {}).get("title")
     if isinstance(item.get("properties"), dict) else item.get("title")),
    ("name", lambda item: item.get("name")),
    ("position", lambda item: f"{item['x']},{item['y']}" if "x" in item and "y" in item else None),
]


def _identity(before: Any, after: Any) -> tuple[str, Callable[[dict], Any]] | None:
    if not (isinstance(before, list) and isinstance(after, list) and len(before) != len(after)):
        return None
    items = before + after
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for label, namer in _NAMERS:
        names = [namer(item) for item in items]
        if all(isinstance(n, (str, int)) and not isinstance(n, bool) for n in names) \
                and _unique(names[:len(before)]) and _unique(names[len(before):]):
            return label, namer
    return None


def _unique(names: list) -> bool:
    return len(set(names)) == len(names)


def _matched_items(path: str, before: list, after: list, identity) -> list[DiffLine]:
    label, namer = identity
    old = {namer(item): item for item in before}
    new = {namer(item): item for item in after}
    lines = [DiffLine("~", path, _items(before), _items(after))]
    lines += [DiffLine("-", f"{path}[{label}={name}]: {show(item)}")
              for name, item in old.items() if name not in new]
    for name, item in new.items():
        item_path = f"{path}[{label}={name}]"
        if name not in old:
            lines.append(DiffLine("+", f"{item_path}: {show(item)}"))
            continue
        for field in diff_fields(old[name], item, item_path):
            lines += field_lines(field.path, field.before, field.after)
    return lines


def _items(items: list) -> str:
    return plural(len(items), "item")


def _multiline(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value.strip("\n")


def _json_body(value: Any) -> bool:
    return isinstance(value, (dict, list))


def _text_lines(value: Any) -> list[str]:
    return value.splitlines() if isinstance(value, str) else [show(value)]


def _json_lines(value: Any) -> list[str]:
    return json.dumps(value, indent=2, sort_keys=True, default=str).splitlines()


def _unified(path: str, before: list[str], after: list[str]) -> list[DiffLine]:
    lines = [DiffLine(" ", f"{path}:")]
    hunks = list(difflib.unified_diff(before, after, n=2, lineterm=""))[2:]  # past ---/+++
    for line in hunks:
        if line.startswith("@@"):  # "@@ -12,5 +12,6 @@": say that lines were left out
            if line is not hunks[0] or int(re.match(r"@@ -(\d+)", line).group(1)) > 1:
                lines.append(DiffLine(" ", "    ..."))
        else:
            lines.append(DiffLine(line[0], "    " + line[1:]))
    return lines
