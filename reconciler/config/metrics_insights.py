"""CloudWatch Metrics Insights: the shape of a query, checked before any API call.

The grammar of the CloudWatch User Guide ("Query components and syntax in CloudWatch Metrics
Insights"; keywords in any case, names case sensitive):

    query     := SELECT FUNCTION "(" name ")" FROM source
                 [WHERE condition (AND condition)*] [GROUP BY label ("," label)*]
                 [ORDER BY FUNCTION "(" ")" [ASC | DESC]] [LIMIT number] [";"]
    FUNCTION  := AVG | COUNT | MAX | MIN | SUM
    source    := name | SCHEMA "(" name ("," label)* ")"      (the namespace comes first)
    condition := label ("=" | "!=") value
    value     := 'single quoted' | number | CURRENT_ACCOUNT_ID "(" ")"
    label     := name ("." name)*                               (tag.team, AWS.AccountId)
    name      := letters, digits and _ | "double quoted"        (\\" escapes a quote)

A name that is a reserved word must be double quoted; obsctl knows the grammar's own words
(a subset of AWS's list, so it never refuses a name AWS takes). LIMIT is at most 500. One
query per text: a second statement after ";" is an error (an alarm takes one query). Errors
name the column within the query (1-based), since the query is one value of the YAML file.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from reconciler.token_stream import Token, TokenStream

FUNCTIONS = ("AVG", "COUNT", "MAX", "MIN", "SUM")
MAX_LIMIT = 500  # "The maximum value that you can specify is 500"
# The words of the grammar itself, all on AWS's reserved keyword list.
RESERVED = frozenset({"SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "LIMIT", "AND", "OR",
                      "NOT", "LIKE", "IN", "ASC", "DESC", "SCHEMA", *FUNCTIONS})

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<quoted>"(?:[^"\\]|\\.)*")
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<word>[A-Za-z0-9_]+)
  | (?P<op>!=|[=(),.;])
  | (?P<other>[^'"])
""", re.VERBOSE | re.DOTALL)
_STARTS_LIKE_A_QUERY = re.compile(r"^\s*select\b", re.IGNORECASE)
_QUOTE_HINT = ('names with characters other than letters, digits and _ are written in double '
               'quotes, like "AWS/SageMaker"')


class QueryError(ValueError):
    """A query that is not Metrics Insights; the message names the column within it."""


@dataclass
class MetricsInsightsQuery:
    """What a query selects, from where, and how it splits into time series."""

    function: str  # upper case
    metric: str
    namespace: str
    schema: list[str] | None = None  # SCHEMA's label keys; None: FROM a bare namespace
    group_by: list[str] = field(default_factory=list)
    order_by: str | None = None  # "MAX() DESC"
    limit: int | None = None


def looks_like_a_query(text: str) -> bool:
    """Does `text` start like a Metrics Insights query (SELECT ...)?"""
    return bool(_STARTS_LIKE_A_QUERY.match(text))


def tokens(text: str) -> list[Token]:
    found, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # only a quote that never closes matches nothing
            raise _unclosed_quote(position)
        if match.lastgroup != "space":
            found.append(Token(match.lastgroup, match.group(), position + 1))
        position = match.end()
    found.append(Token("end", "", len(text) + 1))
    return found


def _unclosed_quote(position: int) -> QueryError:
    return QueryError(f"the quote opened at column {position + 1} is never closed")


def _stray_character(char: str, column: int) -> QueryError:
    if char in "<>":
        return QueryError(f"unexpected {char!r} at column {column}: WHERE compares labels "
                          "with = or != only")
    if char == "*":
        return QueryError(f"unexpected '*' at column {column}: SELECT takes one metric name, "
                          "like MAX(ModelLatency)")
    return QueryError(f"unexpected {char!r} at column {column}: {_QUOTE_HINT}")


def parse_metrics_insights(text: str) -> MetricsInsightsQuery:
    """The parts of query `text`; QueryError when it is not a Metrics Insights query."""
    if not text.strip():
        raise QueryError("the query is empty")
    return _Parser(tokens(text)).parse()


def _function_hint(name: str) -> str:
    close = difflib.get_close_matches(name.upper(), FUNCTIONS, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


class _Parser(TokenStream):
    def parse(self) -> MetricsInsightsQuery:
        self.keyword("SELECT")
        function = self.function()
        self.expect("(", "after the function")
        metric = self.name("a metric name")
        self.expect(")", "after the metric name")
        self.keyword("FROM")
        query = MetricsInsightsQuery(function, metric, *self.source())
        if self.at_keyword("WHERE"):
            self.take()
            self.conditions()
        if self.at_keyword("GROUP"):
            self.take()
            self.keyword("BY")
            query.group_by = self.labels()
        if self.at_keyword("ORDER"):
            self.take()
            self.keyword("BY")
            query.order_by = self.ordering()
        if self.at_keyword("LIMIT"):
            self.take()
            query.limit = self.limit()
        self.finish()
        return query

    # -- tokens -----------------------------------------------------------------------------

    def at_keyword(self, *words: str) -> bool:
        return self.token.kind == "word" and self.token.text.upper() in words

    def keyword(self, word: str) -> Token:
        if not self.at_keyword(word):
            raise self.unexpected(f"{word} was expected")
        return self.take()

    def expect(self, op: str, where: str) -> Token:
        if not (self.token.kind == "op" and self.token.text == op):
            raise self.unexpected(f"{op!r} was expected {where}")
        return self.take()

    def peek(self) -> Token:
        return self.stream[min(self.index + 1, len(self.stream) - 1)]

    def run_of_characters(self) -> str:
        """The text of the tokens from here on that touch each other (AWS/SageMaker, which
        the tokenizer splits at '/')."""
        run, end = "", self.token.column
        for token in self.stream[self.index:]:
            if token.column != end or token.kind in ("end", "quoted", "string"):
                break
            run, end = run + token.text, token.column + len(token.text)
        return run

    def unexpected(self, wanted: str) -> QueryError:
        token = self.token
        if token.kind == "end":
            return QueryError(f"the query ends where {wanted}")
        if token.kind == "other":
            return _stray_character(token.text, token.column)
        return QueryError(f"unexpected {token.text!r} at column {token.column}: {wanted}")

    # -- parts ------------------------------------------------------------------------------

    def function(self, where: str = "SELECT") -> str:
        token = self.token
        if token.kind != "word":
            raise self.unexpected(f"{where} takes one of {', '.join(FUNCTIONS)}")
        if token.text.upper() not in FUNCTIONS:
            raise QueryError(f"unknown function {token.text!r} at column {token.column}: "
                             f"Metrics Insights has {', '.join(FUNCTIONS)}"
                             f"{_function_hint(token.text)}")
        return self.take().text.upper()

    def name(self, what: str) -> str:
        token = self.token
        if token.kind == "quoted":
            self.take()
            return _unquoted(token.text)
        if token.kind == "word" and token.text.upper() in RESERVED:
            raise QueryError(f"{token.text!r} at column {token.column} is a reserved word in "
                             f'Metrics Insights: write the name in double quotes ("{token.text}")')
        following = self.peek()
        if (token.kind == "word" and following.kind == "other" and following.text not in "<>"
                and following.column == token.column + len(token.text)):
            raise QueryError(f"{self.run_of_characters()!r} at column {token.column}: {_QUOTE_HINT}")
        if token.kind == "word":
            return self.take().text
        if token.kind == "string":
            raise QueryError(f"{token.text} at column {token.column}: names are written bare or "
                             "in double quotes; single quotes are for label values in WHERE")
        raise self.unexpected(f"{what} was expected")

    def source(self) -> tuple[str, list[str] | None]:
        if self.at_keyword("SCHEMA") and self.stream[self.index + 1].text == "(":
            self.take()
            opening = self.take()
            namespace = self.name("the namespace (SCHEMA's first argument)")
            labels = []
            while self.token.kind == "op" and self.token.text == ",":
                self.take()
                labels.append(self.label())
            if not (self.token.kind == "op" and self.token.text == ")"):
                raise self.unexpected(f"',' or ')' was expected to close SCHEMA's '(' at "
                                      f"column {opening.column}")
            self.take()
            return namespace, labels
        return self.name("a namespace or SCHEMA(...)"), None

    def label(self) -> str:
        parts = [self.name("a label key (a dimension name)")]
        while self.token.kind == "op" and self.token.text == ".":
            self.take()
            parts.append(self.name("a label key after '.'"))
        return ".".join(parts)

    def labels(self) -> list[str]:
        found = [self.label()]
        while self.token.kind == "op" and self.token.text == ",":
            self.take()
            found.append(self.label())
        return found

    def conditions(self) -> None:
        self.condition()
        while self.at_keyword("AND", "OR"):
            if self.at_keyword("OR"):
                raise QueryError(f"unexpected OR at column {self.token.column}: Metrics Insights "
                                 "combines WHERE conditions with AND only")
            self.take()
            self.condition()

    def condition(self) -> None:
        key = self.token
        self.label()
        if not (self.token.kind == "op" and self.token.text in ("=", "!=")):
            raise self.unexpected(f"= or != was expected after the label key at column "
                                  f"{key.column} (WHERE compares with = and != only)")
        self.take()
        self.value()

    def value(self) -> None:
        token = self.token
        if token.kind == "string" or (token.kind == "word" and token.text.isdigit()):
            self.take()
        elif self.at_keyword("CURRENT_ACCOUNT_ID"):
            self.take()
            self.expect("(", "after CURRENT_ACCOUNT_ID")
            self.expect(")", "after CURRENT_ACCOUNT_ID(")
        elif token.kind in ("word", "quoted"):
            bare = _unquoted(token.text) if token.kind == "quoted" else token.text
            raise QueryError(f"the label value {token.text} at column {token.column} is not in "
                             f"single quotes: write '{bare}'")
        else:
            raise self.unexpected("a label value in single quotes was expected")

    def ordering(self) -> str:
        function = self.function("ORDER BY")
        self.expect("(", f"after {function} in ORDER BY")
        if not (self.token.kind == "op" and self.token.text == ")"):
            raise self.unexpected(f"')' was expected: ORDER BY {function}() takes no argument")
        self.take()
        direction = self.take().text.upper() if self.at_keyword("ASC", "DESC") else "ASC"
        return f"{function}() {direction}"

    def limit(self) -> int:
        token = self.token
        if not (token.kind == "word" and token.text.isdigit()):
            raise self.unexpected("LIMIT takes a number of time series")
        self.take()
        digits = token.text.lstrip("0") or "0"
        if len(digits) > len(str(MAX_LIMIT)) or not 1 <= int(digits) <= MAX_LIMIT:
            shown = token.text if len(token.text) <= 12 else f"{token.text[:12]}..."
            raise QueryError(f"a LIMIT of {shown} at column {token.column}: a query returns 1 "
                             f"to {MAX_LIMIT} time series")
        return int(digits)

    def finish(self) -> None:
        if self.token.kind == "op" and self.token.text == ";":
            semicolon = self.take()
            if self.token.kind != "end":
                raise QueryError(f"more after the ';' at column {semicolon.column}: one query "
                                 "only (an alarm watches a single Metrics Insights query)")
        if self.token.kind != "end":
            raise self.unexpected("WHERE, GROUP BY, ORDER BY, LIMIT or the end of the query "
                                  "was expected here (in this order)")


def _unquoted(text: str) -> str:
    """The name inside a double- or single-quoted token: \\" and \\' stand for the quote."""
    return re.sub(r"\\(.)", r"\1", text[1:-1], flags=re.DOTALL)

