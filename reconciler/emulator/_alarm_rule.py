"""Composite alarm rule syntax (PutCompositeAlarm AlarmRule).

Grammar from the API reference: functions ALARM(x), OK(x), INSUFFICIENT_DATA(x) where x is an
alarm name or ARN, optionally in double quotes; constants TRUE and FALSE; operators AND, OR,
NOT; parentheses for grouping."""

from __future__ import annotations

import re

from moto.cloudwatch.exceptions import ValidationError

_TOKEN = re.compile(
    r"""(?P<fn>(?:ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?:"(?P<quoted>[^"]+)"|(?P<bare>[^()"\s][^()"]*?))\s*\))
      |(?P<word>AND|OR|NOT|TRUE|FALSE)(?![A-Za-z0-9_])
      |(?P<paren>[()])""",
    re.VERBOSE,
)


def _error(token: str, pos: int) -> ValidationError:
    # Message format seen from CloudWatch for malformed rules (e.g. "Unsupported token ')' at char 1").
    return ValidationError(f"Error in AlarmRule [Unsupported token '{token}' at char {pos}]")


STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")


def tokenize(rule: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(rule):
        if rule[pos].isspace():
            pos += 1
            continue
        m = _TOKEN.match(rule, pos)
        if not m:
            bad = re.match(r"\S+", rule[pos:])
            raise _error(bad.group(0) if bad else rule[pos], pos + 1)
        if m.group("fn"):  # (ALARM | OK | INSUFFICIENT_DATA, the alarm name or ARN, position)
            function = m.group("fn").split("(", 1)[0].strip()
            tokens.append((function, (m.group("quoted") or m.group("bare")).strip(), pos + 1))
        elif m.group("word"):
            tokens.append((m.group("word"), m.group("word"), pos + 1))
        else:
            tokens.append((m.group("paren"), m.group("paren"), pos + 1))
        pos = m.end()
    return tokens


def rule_references(rule: str) -> list[str]:
    """The alarm names/ARNs the rule refers to, in order; ValidationError if it does not parse."""
    tokens = tokenize(rule)
    refs: list[str] = []
    i = 0

    def term() -> None:
        nonlocal i
        if i >= len(tokens):
            raise _error("<end>", len(rule) + 1)
        kind, text, pos = tokens[i]
        if kind == "NOT":
            i += 1
            term()
        elif kind == "(":
            i += 1
            expr()
            if i >= len(tokens) or tokens[i][0] != ")":
                raise _error(tokens[i][1] if i < len(tokens) else "<end>", tokens[i][2] if i < len(tokens) else len(rule) + 1)
            i += 1
        elif kind in (*STATES, "TRUE", "FALSE"):
            if kind in STATES:
                refs.append(text)
            i += 1
        else:
            raise _error(text, pos)

    def expr() -> None:
        nonlocal i
        term()
        while i < len(tokens) and tokens[i][0] in ("AND", "OR"):
            i += 1
            term()

    expr()
    if i != len(tokens):
        raise _error(tokens[i][1], tokens[i][2])
    return refs
