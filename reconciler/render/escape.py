"""Printing hostile strings: every name, value and reason in a plan comes from config files or
from AWS, and may hold anything (an ESC sequence, a line break, `</details>`, backticks).

The renderers are safe on their own: they do not rely on validation having refused anything.
"""

from __future__ import annotations

import re

from reconciler.text import visible

# Characters that start markdown or HTML markup inside a line (GitHub flavour: tables, links,
# images, emphasis, code, strikethrough, math, entities). What can only start a
# line (`#`, `>`, `-`) never opens one: the renderers never start a line with plan data.
_MARKUP = frozenset("\\`*_[]<>&|~$")


def md_text(text: str) -> str:
    """`text` as literal inline markdown: markup characters become numeric character
    references, which CommonMark reads as plain text in every context (table cells, inline
    HTML, HTML blocks alike, and a `|` written so never splits a table row), and control
    characters are written out, so the text stays on its line."""
    return "".join(f"&#{ord(c)};" if c in _MARKUP else c for c in visible(text))


def md_code(text: str) -> str:
    """`text` as literal code in inline markdown (table cells included): a backtick code span
    when its content cannot end it or the table row (what a code span holds is never markup),
    else an HTML <code> element with the text escaped."""
    if text and text == visible(text) and text.strip() == text and not set(text) & set("`|"):
        return f"`{text}`"
    return html_code(text)


def html_code(text: str) -> str:
    """`text` as literal code in inline markdown or inside an HTML block (where backticks are
    not markup)."""
    return f"<code>{md_text(text)}</code>" if text else "<code>(empty)</code>"


def md_fence(body: str) -> str:
    """A code fence longer than any backtick run in `body`, so the body cannot close it."""
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    return "`" * max(3, longest + 1)
