"""Logs Insights queries: StartQuery / GetQueryResults over the events stored in moto.

moto 5.2.5 understands only ``fields``, ``sort`` and ``limit``: it ignores ``filter`` and
``stats`` (every event comes back), prints ``@timestamp`` as epoch milliseconds, ignores
StartQuery's ``limit``, validates nothing and answers GetQueryResults for an unknown id with
HTTP 500. This module runs the subset of the query language that obsctl's saved queries use,
the way the Logs Insights reference describes it:

- ``fields f, ...`` / ``display f, ...``: the fields shown (later commands may still use others)
- ``filter COND``: ``and``/``or``/``not``, parentheses; ``f like /re/``, ``f like "text"``
  (substring), ``f =~ /re/``, ``f not like ...``, ``f in [v, ...]``, ``= != < <= > >=``
- ``stats AGG [as name], ... [by bin(5m) | f, ...]`` with count(*), count(f), sum, avg, min, max
- ``sort f [asc|desc]``, ``limit N``
- ``parse`` and ``pattern`` (see ``logs_insights_commands``)

Fields: ``@timestamp`` (shown as ``YYYY-MM-DD HH:MM:SS.mmm`` UTC, as AWS shows it),
``@message``, ``@logStream``, ``@log`` (``ACCOUNT:GROUP``), ``@ingestionTime``, and the
keys of JSON messages (nested ones dotted: ``request.id``). Anything else is a
MalformedQueryException that says the emulator does not support it: an emulator that silently
ignored part of a query would return rows AWS would not.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Callable

from moto.core.exceptions import JsonRESTError
from moto.core.utils import utcnow
from moto.logs.exceptions import ResourceNotFoundException
from moto.logs.models import LogQuery
from moto.logs.responses import LogsResponse
from moto.moto_api._internal import mock_random

from ._common import patch
from .logs import _constraint
from .logs_insights_commands import parse_command, pattern_command

MAX_QUERY_LENGTH = 10_000
MAX_LIMIT = 10_000  # StartQuery limit: 1..10,000, default 10,000
MAX_LOG_GROUPS = 50
_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400,
          "w": 604800}
_TOKEN = re.compile(r"""\s*(?:
    (?P<regex>/(?:\\.|[^/\\])*/)
   |(?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
   |(?P<duration>\d+(?:\.\d+)?[a-z]+(?![\w@]))
   |(?P<number>-?\d+(?:\.\d+)?(?![\w@]))
   |(?P<op>=~|!=|<=|>=|=|<|>|\(|\)|\[|\]|,|\*)
   |(?P<name>`[^`]+`|@?[A-Za-z_][\w.@-]*)
)""", re.VERBOSE)


class MalformedQueryException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("MalformedQueryException", message)


# --- parsing -------------------------------------------------------------------------------

def split_commands(query: str) -> list[str]:
    """Split at `|` outside quotes and /regex/ literals."""
    commands, current, quote = [], "", None
    for char in query:
        if quote:
            current += char
            if char == quote and not current.endswith("\\" + char):
                quote = None
        elif char in "\"'`" or (char == "/" and re.search(r"(like|=~)\s*$|^\s*parse\s+\S+\s*$", current, re.I)):
            quote = char
            current += char
        elif char == "|":
            commands.append(current.strip())
            current = ""
        else:
            current += char
    commands.append(current.strip())
    if any(not c for c in commands):
        raise MalformedQueryException("Query contains an empty command.")
    return commands


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise MalformedQueryException(f"unexpected character at '{text[pos:].strip()[:20]}'")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens, self.i = tokenize(text), 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        at = self.i + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token[0] == "name" and token[1].lower() == word:
            self.i += 1
            return True
        return False

    def take(self, kind: str | None = None, value: str | None = None) -> str:
        token = self.peek()
        if token is None or (kind and token[0] != kind) or (value and token[1] != value):
            found = token[1] if token else "the end of the command"
            raise MalformedQueryException(f"expected {value or kind or 'more'} but found {found!r}")
        self.i += 1
        return token[1]

    def field(self) -> str:
        return self.take("name").strip("`")

    def done(self) -> bool:
        return self.peek() is None

    def end(self) -> None:
        if not self.done():
            raise MalformedQueryException(f"unexpected {self.peek()[1]!r}")


def _literal(kind: str, text: str) -> Any:
    if kind == "number":
        return float(text)
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    raise MalformedQueryException(f"expected a value but found {text!r}")


def _regex(text: str) -> re.Pattern:
    try:
        return re.compile(text[1:-1].replace("\\/", "/"))
    except re.error as error:
        raise MalformedQueryException(f"invalid regular expression {text}: {error}") from None


Predicate = Callable[[dict], bool]
_COMPARE = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _coerce(value: Any, like: Any) -> Any:
    if isinstance(like, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return None if value is None else str(value)


def parse_condition(parser: _Parser) -> Predicate:
    left = _and_condition(parser)
    while parser.keyword("or"):
        right, first = _and_condition(parser), left
        left = lambda r, a=first, b=right: a(r) or b(r)  # noqa: E731
    return left


def _and_condition(parser: _Parser) -> Predicate:
    left = _not_condition(parser)
    while parser.keyword("and"):
        right, first = _not_condition(parser), left
        left = lambda r, a=first, b=right: a(r) and b(r)  # noqa: E731
    return left


def _not_condition(parser: _Parser) -> Predicate:
    if parser.keyword("not"):
        inner = _not_condition(parser)
        return lambda r: not inner(r)
    if parser.peek() == ("op", "("):
        parser.take("op", "(")
        inner = parse_condition(parser)
        parser.take("op", ")")
        return inner
    return _comparison(parser)


def _comparison(parser: _Parser) -> Predicate:
    field = parser.field()
    negate = parser.keyword("not")
    if parser.peek() == ("op", "=~") and not negate:
        parser.take()
        return _match(parser, field, negate=False)
    if parser.keyword("like"):
        return _match(parser, field, negate)
    if parser.keyword("in"):
        return _membership(parser, field, negate)
    if negate:
        raise MalformedQueryException("`not` after a field must be followed by like or in")
    operator = parser.take("op")
    if operator not in _COMPARE:
        raise MalformedQueryException(f"unsupported operator {operator!r}")
    kind, text = parser.peek() or ("", "")
    parser.take()
    value = _literal(kind, text)
    compare = _COMPARE[operator]

    def predicate(record: dict) -> bool:
        actual = _coerce(record.get(field), value)
        return actual is not None and compare(actual, value)
    return predicate


def _match(parser: _Parser, field: str, negate: bool) -> Predicate:
    """`like /re/`, `like "text"` (substring) and `=~ /re/`."""
    kind, text = parser.peek() or ("", "")
    parser.take()
    if kind == "regex":
        pattern = _regex(text)
        test = lambda v: pattern.search(v) is not None  # noqa: E731
    else:
        needle = str(_literal(kind, text))
        test = lambda v: needle in v  # noqa: E731
    return lambda r: (r.get(field) is not None and test(str(r[field]))) != negate


def _membership(parser: _Parser, field: str, negate: bool) -> Predicate:
    """`f in [v, ...]`."""
    parser.take("op", "[")
    values = []
    while parser.peek() != ("op", "]"):
        kind, text = parser.peek() or ("", "")
        parser.take()
        values.append(_literal(kind, text))
        if parser.peek() == ("op", ","):
            parser.take()
    parser.take("op", "]")
    return lambda r: any(_coerce(r.get(field), v) == v for v in values) != negate


def _field_list(parser: _Parser) -> list[str]:
    fields = [parser.field()]
    while parser.peek() == ("op", ","):
        parser.take()
        fields.append(parser.field())
    parser.end()
    return fields


# --- running ---------------------------------------------------------------------------------

def _flatten(prefix: str, value: Any, into: dict) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, into)
    elif prefix:
        into[prefix] = value


def _event_record(event, stream, group) -> dict:
    record = {"@timestamp": event.timestamp, "@message": event.message,
              "@logStream": stream.log_stream_name, "@log": f"{group.account_id}:{group.name}",
              "@ingestionTime": event.ingestion_time, "@ptr": f"{group.name}/{stream.log_stream_name}/{event.event_id}"}
    try:
        parsed = json.loads(event.message)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        extracted: dict = {}
        _flatten("", parsed, extracted)
        record = {**extracted, **record}
    return record


def _bin_seconds(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]+)", text)
    if not match or match.group(2) not in _UNITS:
        raise MalformedQueryException(f"invalid bin period {text!r}: use a number and a unit "
                                      f"({', '.join(_UNITS)})")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _stats(parser: _Parser, records: list[dict]) -> tuple[list[dict], list[str]]:
    aggregates = []  # (output name, function, field or None)
    while True:
        function = parser.take("name").lower()
        if function not in ("count", "sum", "avg", "min", "max"):
            raise MalformedQueryException(f"the emulator does not support the stats function {function!r}")
        parser.take("op", "(")
        field = None if parser.peek() == ("op", "*") and parser.take() else (
            parser.field() if parser.peek() != ("op", ")") else None)
        parser.take("op", ")")
        name = f"{function}({field or '*'})"
        if parser.keyword("as"):
            name = parser.field()
        aggregates.append((name, function, field))
        if parser.peek() != ("op", ","):
            break
        parser.take()
    groups = []  # (output name, key function)
    if parser.keyword("by"):
        while True:
            if parser.peek() and parser.peek()[1].lower() == "bin" and parser.peek(1) == ("op", "("):
                parser.take()
                parser.take("op", "(")
                period_text = parser.take("duration")
                parser.take("op", ")")
                period_ms = _bin_seconds(period_text) * 1000
                groups.append((f"bin({period_text})",
                               lambda r, p=period_ms: r["@timestamp"] - r["@timestamp"] % p))
            else:
                field = parser.field()
                groups.append((field, lambda r, f=field: r.get(f)))
            if parser.peek() != ("op", ","):
                break
            parser.take()
    parser.end()
    buckets: dict[tuple, list[dict]] = {}
    for record in records:
        buckets.setdefault(tuple(key(record) for _, key in groups), []).append(record)
    rows = []
    for key in sorted(buckets, key=lambda k: [str(v) for v in k]):
        row = {name: value for (name, _), value in zip(groups, key)}
        for name, function, field in aggregates:
            row[name] = _aggregate(function, field, buckets[key])
        if groups and groups[0][0].startswith("bin("):
            row["@timestamp"] = key[0]  # lets `sort @timestamp` order the bins
        rows.append(row)
    return rows, [name for name, _ in groups] + [name for name, _, _ in aggregates]


def _aggregate(function: str, field: str | None, records: list[dict]) -> Any:
    if function == "count":
        return sum(1 for r in records if field is None or r.get(field) is not None)
    numbers = [n for n in (_coerce(r.get(field), 0.0) for r in records) if n is not None]
    if not numbers:
        return None
    return {"sum": sum, "min": min, "max": max,
            "avg": lambda ns: sum(ns) / len(ns)}[function](numbers)


def run_query(query: str, records: list[dict], limit: int) -> list[dict[str, Any]]:
    """The result rows (field -> value) of `query` over `records`, newest first by default."""
    shown: list[str] = ["@timestamp", "@message"]
    aggregated = False
    records = sorted(records, key=lambda r: r["@timestamp"], reverse=True)
    for command in split_commands(query):
        word, _, rest = command.partition(" ")
        parser = _Parser(rest)
        word = word.lower()
        if word in ("fields", "display"):
            shown = _field_list(parser)
        elif word == "filter":
            predicate = parse_condition(parser)
            parser.end()
            records = [r for r in records if predicate(r)]
        elif word == "stats":
            records, shown = _stats(parser, records)
            aggregated = True
        elif word == "parse":
            records = parse_command(rest, records)
        elif word == "pattern":
            records, shown = pattern_command(rest, records)
            aggregated = True
        elif word == "sort":
            field = parser.field()
            descending = not parser.keyword("asc")
            if descending:
                parser.keyword("desc")
            parser.end()
            present = [r for r in records if r.get(field) is not None]
            missing = [r for r in records if r.get(field) is None]
            records = sorted(present, key=lambda r: _sort_key(r[field]), reverse=descending) + missing
        elif word == "limit":
            count = int(float(parser.take("number")))
            parser.end()
            records = records[:count]
        else:
            raise MalformedQueryException(f"the emulator does not support the command {word!r} "
                                          "(supported: fields, display, filter, stats, parse, pattern, sort, limit)")
    if not aggregated:
        shown = [*shown, "@ptr"]
    return [{f: _show(f, r[f]) for f in shown if r.get(f) is not None} for r in records[:limit]]


def _sort_key(value: Any) -> tuple:
    """Numbers before text, each in its own order (fields may mix both)."""
    number = _coerce(value, 0.0)
    return (0, number, "") if number is not None else (1, 0.0, str(value))


def _show(field: str, value: Any) -> str:
    if field in ("@timestamp", "@ingestionTime") or field.startswith("bin("):
        moment = datetime.fromtimestamp(value / 1000, tz=timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- the API ---------------------------------------------------------------------------------

def _log_groups(self: LogsResponse) -> list:
    names = self._get_param("logGroupNames") or []
    if self._get_param("logGroupName"):
        names = [self._get_param("logGroupName"), *names]
    names += [i.split(":log-group:", 1)[-1].removesuffix(":*")
              for i in self._get_param("logGroupIdentifiers") or []]
    if not names or len(names) > MAX_LOG_GROUPS:
        raise _constraint("logGroupNames", names, f"Member must have length between 1 and {MAX_LOG_GROUPS}")
    missing = [n for n in names if n not in self.logs_backend.groups]
    if missing:
        raise ResourceNotFoundException(f"Log group '{missing[0]}' does not exist.")
    return [self.logs_backend.groups[n] for n in names]


def start_query(self: LogsResponse) -> str:
    query = self._get_param("queryString")
    if not isinstance(query, str) or not 1 <= len(query) <= MAX_QUERY_LENGTH:
        raise _constraint("queryString", query, f"Member must have length between 1 and {MAX_QUERY_LENGTH}")
    start, end = self._get_int_param("startTime"), self._get_int_param("endTime")
    if start is None or end is None or start > end:
        raise _constraint("startTime", start, "startTime must be before endTime")
    limit = self._get_int_param("limit", MAX_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        raise _constraint("limit", limit, f"Member must have value between 1 and {MAX_LIMIT}")
    groups = _log_groups(self)
    # startTime/endTime are epoch seconds; events carry milliseconds.
    records = [_event_record(event, stream, group) for group in groups
               for stream in group.streams.values() for event in stream.events
               if start * 1000 <= event.timestamp <= end * 1000 + 999]
    rows = run_query(query, records, limit)
    stored = LogQuery.__new__(LogQuery)  # moto's constructor would run its own executor
    stored.query_id, stored.query = str(mock_random.uuid4()), query
    stored.start_time, stored.end_time, stored.create_time = start, end, utcnow()
    stored.log_group_names, stored.status, stored.results = [g.name for g in groups], "Complete", rows
    stored.obsctl_statistics = {"recordsMatched": float(len(rows)), "recordsScanned": float(len(records)),
                                "bytesScanned": float(sum(len(r["@message"]) for r in records))}
    self.logs_backend.queries[stored.query_id] = stored
    return json.dumps({"queryId": stored.query_id})


def get_query_results(self: LogsResponse) -> str:
    query = self.logs_backend.queries.get(self._get_param("queryId"))
    if query is None:
        raise ResourceNotFoundException("Query does not exist.")
    result = query.to_result_json()
    result["statistics"] = getattr(query, "obsctl_statistics", {})
    return json.dumps(result)


def install() -> None:
    patch(LogsResponse, "start_query", start_query)
    patch(LogsResponse, "get_query_results", get_query_results)
