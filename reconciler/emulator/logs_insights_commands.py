"""Logs Insights ``parse`` and ``pattern`` commands, for the query engine in ``logs_insights``.

``parse FIELD "glob" as a, b, ...`` (Logs Insights reference, parse): the glob's literal text must
occur in the field and each ``*`` captures the characters between, in order, into the names after
``as`` (the last ``*`` takes the rest of the value). ``parse FIELD /regex/`` captures the regex's
named groups, written ``(?<name>...)`` as in AWS. A record the expression does not match gets no
new fields (they read as null).

``pattern [FIELD]`` (default ``@message``) groups the records into patterns and returns one row
per pattern with ``@pattern``, ``@sampleCount`` and ``@ratio`` (its share of the records), most
frequent first. AWS's clustering is not published; the emulator approximates it:
1. a message is split on whitespace, and ``key=value`` into ``key=`` and ``value``; a token
   holding a digit (numbers, IDs, IPs, times) or looking like a hex/UUID string becomes the
   dynamic token ``<*>``;
2. a message joins an existing pattern with as many tokens and the same first token when at least
   60% of the tokens are equal (``<*>`` equals anything); the positions that differ become ``<*>``
   (so ``user alice logged in`` and ``user bob logged in`` give ``user <*> logged in``);
   otherwise it starts a new pattern.
"""

from __future__ import annotations

import re
from typing import Any

DYNAMIC = "<*>"
SIMILARITY = 0.6
_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z_]\w*)>")
_HEXISH = re.compile(r"^(?:0x)?[0-9a-fA-F-]{8,}$")


def _error(message: str) -> Exception:
    from .logs_insights import MalformedQueryException

    return MalformedQueryException(message)


# -- parse -----------------------------------------------------------------------------------

_PARSE = re.compile(r"""^\s*(?P<field>`[^`]+`|@?[A-Za-z_][\w.@-]*)\s+
    (?:(?P<glob>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')\s+as\s+(?P<names>.+?)|(?P<regex>/(?:\\.|[^/\\])*/))\s*$""",
                    re.VERBOSE | re.IGNORECASE)


def _glob_regex(glob: str, names: list[str]) -> re.Pattern:
    parts = glob.split("*")
    if len(parts) - 1 != len(names):
        raise _error(f"parse: the pattern has {len(parts) - 1} '*' but {len(names)} names follow 'as'")
    regex = re.escape(parts[0])
    for i, (name, literal) in enumerate(zip(names, parts[1:])):
        last = i == len(names) - 1 and literal == ""
        regex += f"(?P<{name}>.*)" if last else f"(?P<{name}>.*?)"
        regex += re.escape(literal)
    return re.compile(regex, re.DOTALL)


def _field_name(text: str) -> str:
    return text.strip().strip("`")


def parse_command(rest: str, records: list[dict]) -> list[dict]:
    match = _PARSE.match(rest)
    if not match:
        raise _error('parse needs FIELD "glob with *" as name, ... or FIELD /regex with (?<name>...)/')
    field = _field_name(match.group("field"))
    if match.group("glob"):
        names = [_field_name(n) for n in match.group("names").split(",")]
        if not all(re.fullmatch(r"@?[A-Za-z_][\w.]*", n) for n in names):
            raise _error("parse: the names after 'as' must be field names")
        literal = re.sub(r"\\(.)", r"\1", match.group("glob")[1:-1])
        safe = {n: f"g{i}" for i, n in enumerate(names)}  # Python group names cannot hold dots or @
        pattern = _glob_regex(literal, list(safe.values()))
        rename = {v: k for k, v in safe.items()}
    else:
        source = match.group("regex")[1:-1].replace("\\/", "/")
        names = _NAMED_GROUP.findall(source)
        if not names:
            raise _error("parse: the regular expression needs named groups (?<name>...)")
        try:
            pattern = re.compile(_NAMED_GROUP.sub(lambda m: f"(?P<{m.group(1)}>", source))
        except re.error as error:
            raise _error(f"parse: invalid regular expression: {error}") from None
        rename = {n: n for n in names}
    parsed = []
    for record in records:
        value = record.get(field)
        found = pattern.search(str(value)) if value is not None else None
        if found:
            record = {**record, **{rename[g]: v for g, v in found.groupdict().items() if v is not None}}
        parsed.append(record)
    return parsed


# -- pattern ---------------------------------------------------------------------------------

def _mask(token: str) -> str:
    return DYNAMIC if any(c.isdigit() for c in token) or _HEXISH.match(token) else token


def _tokens(message: str) -> tuple[list[str], list[bool]]:
    """The message's tokens, and per token whether it is glued to the one before (after '=')."""
    tokens, glued = [], []
    for piece in message.split():
        key, equals, value = piece.partition("=")
        if equals and key and value:
            tokens += [key + "=", _mask(value)]
            glued += [False, True]
        else:
            tokens.append(_mask(piece))
            glued.append(False)
    return tokens or [""], glued or [False]


def _render(tokens: list[str], glued: list[bool]) -> str:
    return "".join(t if i == 0 or glued[i] else " " + t for i, t in enumerate(tokens))


def _similar(pattern: list[str], tokens: list[str]) -> bool:
    if len(pattern) != len(tokens) or pattern[0] != tokens[0]:
        return False
    same = sum(1 for p, t in zip(pattern, tokens) if p == t or DYNAMIC in (p, t))
    return same / len(tokens) >= SIMILARITY


def cluster(messages: list[str]) -> list[tuple[str, int]]:
    """(pattern, count) per cluster, most frequent first (ties: first seen first)."""
    clusters: list[list[Any]] = []  # [tokens, glued, count]
    for message in messages:
        tokens, glued = _tokens(message)
        for entry in clusters:
            if _similar(entry[0], tokens):
                entry[0] = [p if p == t else DYNAMIC for p, t in zip(entry[0], tokens)]
                entry[2] += 1
                break
        else:
            clusters.append([tokens, glued, 1])
    ordered = sorted(enumerate(clusters), key=lambda item: (-item[1][2], item[0]))
    return [(_render(tokens, glued), count) for _, (tokens, glued, count) in ordered]


def pattern_command(rest: str, records: list[dict]) -> tuple[list[dict], list[str]]:
    field = _field_name(rest) if rest.strip() else "@message"
    if not re.fullmatch(r"@?[A-Za-z_][\w.@-]*", field):
        raise _error("pattern takes at most one field name")
    messages = [str(r[field]) for r in records if r.get(field) is not None]
    total = len(messages)
    rows = [{"@pattern": text, "@sampleCount": count, "@ratio": count / total}
            for text, count in cluster(messages)]
    return rows, ["@pattern", "@sampleCount", "@ratio"]
