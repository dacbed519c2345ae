"""CloudWatch Logs filter patterns (metric and subscription filters), checked before any call.

The three forms of the CloudWatch Logs User Guide ("Filter pattern syntax"):

- terms: `ERROR Exception` (all), `"exact phrase"`, `?ERROR ?WARN` (any), `-DEBUG` (not),
  or one regular expression `%ERROR|WARN%`
- JSON: `{ $.level = "ERROR" && ($.latency > 500 || $.user.id IS NULL) }`; selectors start
  with `$`; `=` and `!=` take a string, a wildcard or a regex, `<` `<=` `>` `>=` a number;
  `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`; `&&` binds tighter than `||`
- space-delimited: `[ip, user, ..., status = 5* || status = 429, bytes > 1000]`

Regular expressions (`%...%`) take letters, digits, spaces, `_ # = @ / ; , - :` and the
operators `^ $ ? [ ] { } | \\ * + .`; no parentheses, no multi-byte characters, at most two
in a JSON or space-delimited pattern, and at most five patterns with a regex per log group
(metric and subscription filters together; LogGroupConfig checks that). Errors name the
column within the pattern (1-based). This checks structure, not meaning: a pattern that parses
may still match nothing.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from reconciler.token_stream import Token, TokenStream

MAX_REGEXES = 2  # "a limit of 2 regex for each filter pattern" (JSON and space-delimited)
MAX_REGEX_PATTERNS_PER_LOG_GROUP = 5  # metric and subscription filters together
MAX_NESTING = 32  # parentheses; far beyond real patterns, far below Python's stack limit
_REGEX_ALLOWED = re.compile(r"[A-Za-z0-9 _#=@/;,\-:^$?\[\]{}|\\*+.]*")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_]+")
_SELECTOR_STEP = re.compile(r"\.[^\s.\[\]\"'=!<>&|(){},%]+|\[(\d+|\*)\]")
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<regex>%[^%]*%)
  | (?P<ellipsis>\.\.\.)
  | (?P<op>&&|\|\||!=|<=|>=|[=<>(){}\[\],])
  | (?P<selector>\$[^\s=!<>&|(){},"%]*)
  | (?P<word>!?[^\s"%&|!=<>(){}\[\],]+)
""", re.VERBOSE)
_NUMERIC_OPERATORS = ("<", "<=", ">", ">=")
_OPERATORS = ("=", "!=") + _NUMERIC_OPERATORS
_JSON_CHECKS = {"IS": ("NULL", "TRUE", "FALSE"), "NOT": ("EXISTS",)}


class FilterPatternError(ValueError):
    """The pattern does not parse; the message names the column within it."""


def check_filter_pattern(pattern: str) -> str:
    """`pattern` unchanged, or FilterPatternError (a ValueError: pydantic reports it)."""
    start = len(pattern) - len(pattern.lstrip())
    body = pattern.strip()
    if body.startswith("{"):
        _Parser(pattern).json()
    elif body.startswith("["):
        _Parser(pattern).delimited()
    elif body:
        _check_terms(pattern, start)
    return pattern


def uses_regex(pattern: str) -> bool:
    """Whether a (valid) pattern holds a regex, for the per-log-group quota."""
    body = pattern.strip()
    if body.startswith(("{", "[")):
        return any(token.kind == "regex" for token in _tokens(body))
    return body.startswith("%")


# --- terms ------------------------------------------------------------------------------

_TERM = re.compile(r"(?P<prefix>[?-]?)(?:(?P<quoted>\"(?:[^\"\\]|\\.)*\")|(?P<bare>[^\s\"]*))")


def _check_terms(pattern: str, start: int) -> None:
    body = pattern.strip()
    if body.startswith("%"):
        if not (len(body) > 1 and body.endswith("%")) or "%" in body[1:-1]:
            raise FilterPatternError(f"the regex opened at column {start + 1} must close with "
                                     "'%' at the end of the pattern (a regex pattern stands "
                                     "alone)")
        _check_regex(body, start + 1)
        return
    position = start
    while position < len(pattern):
        if pattern[position].isspace():
            position += 1
            continue
        position = _check_term(pattern, position)


def _check_term(pattern: str, position: int) -> int:
    """Checks the term at `position`; returns where it ends."""
    match = _TERM.match(pattern, position)
    end = match.end()
    if match.group("quoted") is None and end < len(pattern) and pattern[end] == '"':
        if match.group("bare"):
            raise FilterPatternError(f"unexpected '\"' at column {end + 1}: quote the whole "
                                     "term, like \"Exception:\"")
        raise FilterPatternError(f"the quoted term opened at column {end + 1} is never closed")
    if not match.group("quoted") and not match.group("bare"):
        raise FilterPatternError(f"{match.group('prefix')!r} at column {position + 1} needs a "
                                 "term right after it, like ?ERROR or -DEBUG")
    bare = match.group("bare") or ""
    if bare.startswith("%"):
        raise FilterPatternError(f"a regex (%...%) at column {match.start('bare') + 1} must be "
                                 "the whole pattern")
    return end


def _check_regex(regex: str, column: int) -> None:
    inner = regex[1:-1]
    if not inner:
        raise FilterPatternError(f"the regex at column {column} is empty")
    allowed = _REGEX_ALLOWED.match(inner)
    if allowed.end() < len(inner):
        char = inner[allowed.end()]
        where = column + 1 + allowed.end()
        why = ("CloudWatch Logs regexes have no groups" if char in "()" else
               "CloudWatch Logs regexes take no multi-byte characters" if ord(char) > 127 else
               "CloudWatch Logs regexes take letters, digits, spaces, _ # = @ / ; , - : and "
               "^ $ ? [ ] { } | \\ * + .")
        raise FilterPatternError(f"{char!r} at column {where} is not allowed in a regex: {why}")


# --- JSON and space-delimited -------------------------------------------------------------


def _tokens(pattern: str) -> list[Token]:
    found, position = [], 0
    while position < len(pattern):
        match = _TOKEN.match(pattern, position)
        if match is None:
            char = pattern[position]
            what = {'"': "the string", "%": "the regex"}.get(char)
            raise FilterPatternError(f"{what} opened at column {position + 1} is never closed"
                                     if what else
                                     f"unexpected {char!r} at column {position + 1}")
        if match.lastgroup != "space":
            found.append(Token(match.lastgroup, match.group(), position + 1))
        position = match.end()
    found.append(Token("end", "", len(pattern) + 1))
    return found


class _Parser(TokenStream):
    def __init__(self, pattern: str):
        super().__init__(_tokens(pattern))
        self.regexes = 0
        self.depth = 0

    def unexpected(self, expected: str) -> FilterPatternError:
        if self.token.kind == "end":
            return FilterPatternError(f"the pattern ends where {expected} was expected")
        return FilterPatternError(f"unexpected {self.token.text!r} at column {self.token.column}: "
                                  f"{expected} was expected")

    def expect(self, text: str, expected: str) -> Token:
        if not self.at(text):
            raise self.unexpected(expected)
        return self.take()

    def finish(self, opening: Token, closing: str, expected: str) -> None:
        if self.token.kind == "end":
            raise FilterPatternError(f"{opening.text!r} at column {opening.column} is never "
                                     "closed")
        self.expect(closing, expected)
        if self.token.kind != "end":
            raise self.unexpected("the end of the pattern")

    # JSON: { conditions }

    def json(self) -> None:
        opening = self.take()
        self.either(self.json_condition)
        self.finish(opening, "}", "'&&', '||' or '}'")

    def either(self, condition) -> None:
        self.both(condition)
        while self.at("||"):
            self.take()
            self.both(condition)

    def both(self, condition) -> None:
        self.group(condition)
        while self.at("&&"):
            self.take()
            self.group(condition)

    def group(self, condition) -> None:
        if not self.at("("):
            condition()
            return
        opening = self.take()
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise FilterPatternError(f"nested more than {MAX_NESTING} levels deep at column "
                                     f"{opening.column}")
        self.either(condition)
        if not self.at(")"):
            if self.token.kind == "end" or self.at("}", "]"):
                raise FilterPatternError(f"'(' at column {opening.column} is never closed")
            raise self.unexpected("'&&', '||' or ')'")
        self.take()
        self.depth -= 1

    def json_condition(self) -> None:
        selector = self.token
        if selector.kind != "selector":
            raise self.unexpected("a selector like $.level")
        _check_selector(selector)
        self.take()
        word = self.token.text if self.token.kind == "word" else None
        if word in _JSON_CHECKS:
            self.take()
            if not self.at(*_JSON_CHECKS[word]):
                raise self.unexpected(" or ".join(f"{word} {what}" for what in _JSON_CHECKS[word]))
            self.take()
            return
        self.comparison("an operator (= != < <= > >=), IS NULL, IS TRUE, IS FALSE or NOT EXISTS")

    def comparison(self, expected: str) -> None:
        if not (self.token.kind == "op" and self.token.text in _OPERATORS):
            raise self.unexpected(expected)
        operator = self.take()
        value = self.token
        if operator.text == "=" and self.at("="):
            raise FilterPatternError(f"'==' at column {operator.column}: filter patterns compare "
                                     "with a single '='")
        if value.kind not in ("string", "regex", "word"):
            raise self.unexpected(f"a value after {operator.text!r}")
        if operator.text in _NUMERIC_OPERATORS and not _NUMBER.fullmatch(value.text):
            raise FilterPatternError(f"{operator.text!r} compares numbers: {value.text!r} at "
                                     f"column {value.column} is not a number")
        if value.kind == "regex":
            self.count_regex(value)
        self.take()

    def count_regex(self, token: Token) -> None:
        _check_regex(token.text, token.column)
        self.regexes += 1
        if self.regexes > MAX_REGEXES:
            raise FilterPatternError(f"the regex at column {token.column} is one too many: a "
                                     f"JSON or space-delimited pattern takes at most "
                                     f"{MAX_REGEXES}")

    # space-delimited: [field, field = value, ...]

    def delimited(self) -> None:
        opening = self.take()
        while not self.at("]") and self.token.kind != "end":
            self.field()
            if not self.at(","):
                break
            self.take()  # a trailing comma is allowed (the User Guide's own example has one)
        self.finish(opening, "]", "',' or ']'")

    def field(self) -> None:
        if self.token.kind == "ellipsis":
            self.take()
            return
        self.either(self.field_condition)

    def field_condition(self) -> None:
        name = self.token
        if name.kind != "word" or not _FIELD_NAME.fullmatch(name.text):
            raise self.unexpected("a field name (letters, digits, _) or ...")
        self.take()
        if self.token.kind == "op" and self.token.text in _OPERATORS:
            self.comparison("an operator")


def _check_selector(token: Token) -> None:
    path, position = token.text[1:], 0
    while position < len(path):
        step = _SELECTOR_STEP.match(path, position)
        if step is None:
            break
        position = step.end()
    if not path or position < len(path):
        raise FilterPatternError(
            f"selector {token.text!r} at column {token.column} is not a JSON path like "
            "$.user.id or $.items[0]")


# PutMetricFilter / PutSubscriptionFilter filterPattern: at most 1024 characters; "" matches
# every event.
FilterPattern = Annotated[str, StringConstraints(max_length=1024),
                          AfterValidator(check_filter_pattern)]
