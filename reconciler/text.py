"""Words for people: a count with its noun, and a string from config or AWS made safe for one
line of a terminal or a message. Used wherever obsctl writes text (renderers, errors,
progress), so it sits below all of them."""

from __future__ import annotations

import re

_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 and C1 controls, DEL, and the Unicode line separators and bidi overrides, which reorder
# or break what a reader sees (a "Trojan source" name can show as another name).
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` on one line, each control character written out as `\\x1b`-style text."""
    return _INVISIBLE.sub(_written_out, text)


def _written_out(match: re.Match) -> str:
    char = match.group()
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """`count` and the word in its number: "1 conflict", "2 conflicts", "0 log groups";
    `many` for a word whose plural is not word + "s" (plural(n, "policy", "policies"))."""
    return f"{count} {word if count == 1 else many or word + 's'}"
