"""CloudWatch metric math: the syntax of an expression, checked before any API call.

The grammar of the CloudWatch User Guide ("Metric math syntax and functions"):

    expression := or
    or         := and (("OR" | "||") and)*
    and        := compare (("AND" | "&&") compare)*
    compare    := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)*
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | power
    power      := primary ("^" unary)?
    primary    := NUMBER | STRING | ID | FUNCTION "(" arguments? ")" | "(" or ")"
                | "[" or ("," or)* "]"
    arguments  := argument ("," argument)*
    argument   := KEYWORD | or         (KEYWORD: the bare words SORT and FILL take: AVG, ASC...)

Ids start with a lowercase letter (they name the alarm's metrics); functions are upper case.
Errors name the column within the expression (1-based), since the expression is one value
of the YAML file.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from reconciler.token_stream import Token, TokenStream

# The functions of the CloudWatch User Guide's metric math tables.
FUNCTIONS = frozenset({
    "ABS", "ANOMALY_DETECTION_BAND", "AVG", "CEIL", "CONCAT", "DATAPOINT_COUNT", "DB_PERF_INSIGHTS",
    "DIFF", "DIFF_TIME", "FILL", "FIRST", "FLOOR", "IF", "INSIGHT_RULE_METRIC", "LAMBDA", "LAST",
    "LOG", "LOG10", "MAX", "METRIC_COUNT", "METRICS", "MIN", "MINUTE", "HOUR", "DAY", "DATE",
    "MONTH", "YEAR", "EPOCH", "PERIOD", "RATE", "REMOVE_EMPTY", "RUNNING_SUM", "SEARCH",
    "SERVICE_QUOTA", "SLICE", "SORT", "STDDEV", "SUM", "TIME_SERIES",
})
# Bare words a function takes as an argument: SORT(METRICS(), AVG, DESC), FILL(m1, REPEAT).
KEYWORDS = frozenset({"AVG", "MIN", "MAX", "SUM", "ASC", "DESC", "REPEAT", "LINEAR"})
MAX_NESTING = 32  # deeper than any real expression; keeps the parser far from the stack limit

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/^<>(),\[\]])
""", re.VERBOSE)
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


class ExpressionError(ValueError):
    """A syntax error; the message names the column within the expression."""



@dataclass
class MetricMath:
    """What an expression uses, each with the column of its first use."""

    ids: dict[str, int] = field(default_factory=dict)
    functions: dict[str, int] = field(default_factory=dict)


def tokens(text: str) -> list[Token]:
    found, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _bad_character(text, position)
        if match.lastgroup != "space":
            found.append(Token(match.lastgroup, match.group(), position + 1))
        position = match.end()
    found.append(Token("end", "", len(text) + 1))
    return found


def _bad_character(text: str, position: int) -> ExpressionError:
    char = text[position]
    if char in "'\"":
        return ExpressionError(f"the string opened at column {position + 1} is never closed")
    hint = {"=": " (compare with ==)", "&": " (use && or AND)", "|": " (use || or OR)",
            "!": " (use != to compare)"}.get(char, "")
    return ExpressionError(f"unexpected {char!r} at column {position + 1}{hint}")


def parse_metric_math(text: str) -> MetricMath:
    """The ids and functions `text` uses; ExpressionError when it is not metric math."""
    if not text.strip():
        raise ExpressionError("the expression is empty")
    return _Parser(tokens(text)).parse()


class _Parser(TokenStream):
    def __init__(self, stream: list[Token]):
        super().__init__(stream)
        self.depth = 0
        self.found = MetricMath()

    def parse(self) -> MetricMath:
        self.disjunction()
        if self.token.kind != "end":
            raise ExpressionError(f"unexpected {self.token.text!r} at column {self.token.column}: "
                                  "an operator or the end of the expression was expected")
        return self.found

    def binary(self, operand, *operators: str) -> None:
        operand()
        while self.at(*operators):
            self.take()
            operand()

    def disjunction(self) -> None:
        self.binary(self.conjunction, "OR", "||")

    def conjunction(self) -> None:
        self.binary(self.comparison, "AND", "&&")

    def comparison(self) -> None:
        self.binary(self.sum, *_COMPARISONS)

    def sum(self) -> None:
        self.binary(self.product, "+", "-")

    def product(self) -> None:
        self.binary(self.unary, "*", "/")

    def unary(self) -> None:
        self.nest()
        if self.at("-"):
            self.take()
            self.unary()
        else:
            self.primary()
            if self.at("^"):
                self.take()
                self.unary()
        self.depth -= 1

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionError(f"nested more than {MAX_NESTING} levels deep at column "
                                  f"{self.token.column}")

    def primary(self) -> None:
        token = self.take()
        if token.kind in ("number", "string"):
            return
        if token.kind == "op" and token.text in ("(", "["):
            self.group(token)
        elif token.kind == "word" and self.at("("):
            self.call(token)
        elif token.kind == "word" and token.text[0].islower():
            self.found.ids.setdefault(token.text, token.column)
        elif token.kind == "end":
            raise ExpressionError("the expression ends where a value was expected")
        elif token.kind == "word" and token.text not in ("AND", "OR"):
            raise ExpressionError(
                f"{token.text!r} at column {token.column} is neither a metric id (ids start with "
                "a lowercase letter) nor a function call like SUM(m1)")
        else:
            raise ExpressionError(f"unexpected {token.text!r} at column {token.column}: a "
                                  "value was expected")

    def group(self, opening: Token) -> None:
        closing = ")" if opening.text == "(" else "]"
        self.disjunction()
        while closing == "]" and self.at(","):
            self.take()
            self.disjunction()
        self.close(opening, closing)

    def close(self, opening: Token, closing: str) -> None:
        if self.at(closing):
            self.take()
            return
        if self.token.kind == "end":
            raise ExpressionError(f"{opening.text!r} at column {opening.column} is never closed")
        raise ExpressionError(f"unexpected {self.token.text!r} at column {self.token.column}: "
                              f"expected {closing!r} to close {opening.text!r} at column "
                              f"{opening.column}")

    def call(self, name: Token) -> None:
        if name.text not in FUNCTIONS:
            raise ExpressionError(f"unknown function {name.text!r} at column {name.column}"
                                  f"{_function_hint(name.text)}")
        self.found.functions.setdefault(name.text, name.column)
        opening = self.take()
        if not self.at(")"):
            self.argument()
            while self.at(","):
                self.take()
                self.argument()
        self.close(opening, ")")

    def argument(self) -> None:
        following = self.stream[self.index + 1]
        if (self.token.kind == "word" and self.token.text in KEYWORDS
                and (following.text in (",", ")") or following.kind == "end")):
            self.take()  # SORT(m, AVG, DESC): AVG and DESC are words here, not calls
        else:
            self.disjunction()


def _function_hint(name: str) -> str:
    if name.upper() in FUNCTIONS:
        return f" (functions are upper case: {name.upper()})"
    close = difflib.get_close_matches(name.upper(), sorted(FUNCTIONS), n=1)
    return f" (did you mean {close[0]}?)" if close else ""
