"""CloudWatch Logs filter patterns and TestMetricFilter (HTTP 500 in moto 5.2.5).

The syntax follows the Logs user guide ("Filter pattern syntax for metric filters, subscription
filters, and filter log events"); case-sensitive throughout, as there:
- empty pattern: every event matches;
- unstructured terms: ``ERROR`` (the event contains it), ``ERROR ARGUMENTS`` (contains both),
  ``"INTERNAL SERVER ERROR"`` (the exact phrase), ``?ERROR ?WARN`` (contains either),
  ``ERROR -ARGUMENTS`` (contains ERROR but not ARGUMENTS), ``%regex%`` (a regular expression);
- JSON: ``{ $.field = "value" }`` with ``=``/``!=`` on strings (``*`` wildcard), ``= != < <= > >=``
  on numbers, ``IS TRUE``/``IS FALSE``/``IS NULL``/``NOT EXISTS``, ``&&``/``||`` and parentheses;
  selectors ``$.a.b``, ``$.a[0]``; a message that is not JSON never matches;
- space-delimited: ``[ip, user, ..., status = 4*, bytes > 1000]``: fields split on spaces, with
  "..." and [...] each one field; ``...`` stands for any number of fields; the matched fields
  come back in TestMetricFilter's extractedValues as ``$name``.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any, Callable

from moto.logs.exceptions import InvalidParameterException
from moto.logs.responses import LogsResponse

from ._common import patch

Matcher = Callable[[str], "dict[str, str] | None"]  # the extracted values, or None: no match
_MISSING = object()


def _invalid(pattern: str) -> InvalidParameterException:
    return InvalidParameterException(msg=f"Invalid metric filter pattern: {pattern}")


# -- unstructured terms ------------------------------------------------------------------------

_TERM = re.compile(r'([?-]?)(?:"((?:[^"\\]|\\.)*)"|%([^%]+)%|(\S+))')


def _term_matcher(pattern: str) -> Matcher:
    required, optional, excluded = [], [], []
    for prefix, quoted, regex, bare in _TERM.findall(pattern):
        if regex:
            try:
                test = re.compile(regex).search
            except re.error:
                raise _invalid(pattern)
        else:
            text = quoted.replace('\\"', '"') if quoted else bare
            test = (lambda t: lambda m: t in m)(text)
        {"?": optional, "-": excluded}.get(prefix, required).append(test)

    def match(message: str) -> dict[str, str] | None:
        ok = (all(t(message) for t in required) and (not optional or any(t(message) for t in optional))
              and not any(t(message) for t in excluded))
        return {} if ok else None
    return match


# -- JSON ------------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(r"""\s*(?:(?P<paren>[()])|(?P<logic>&&|\|\|)|(?P<op>!=|<=|>=|=|<|>)
    |(?P<kw>IS\s+TRUE|IS\s+FALSE|IS\s+NULL|NOT\s+EXISTS)\b|(?P<sel>\$[\w.\[\]*-]*)
    |"(?P<str>(?:[^"\\]|\\.)*)"|(?P<word>[^\s()&|=!<>"]+))""", re.VERBOSE)


def _tokens(expr: str, pattern: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    expr = expr.rstrip()
    while pos < len(expr):
        m = _JSON_TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise _invalid(pattern)
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _select(document: Any, selector: str) -> Any:
    value = document
    for part in re.findall(r"\.([\w*-]+)|\[(\d+)\]", selector[1:]):
        key, index = part
        if key:
            if not isinstance(value, dict) or key not in value:
                return _MISSING
            value = value[key]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return _MISSING
            value = value[int(index)]
    return value


def _compare(actual: Any, op: str, kind: str, expected: str) -> bool:
    if actual is _MISSING or isinstance(actual, (dict, list)):
        return False
    if kind == "word" and re.fullmatch(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", expected) \
            and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        a, e = float(actual), float(expected)
        return {"=": a == e, "!=": a != e, "<": a < e, "<=": a <= e, ">": a > e, ">=": a >= e}[op]
    if op not in ("=", "!="):
        return False
    text = json.dumps(actual) if isinstance(actual, bool) or actual is None else str(actual)
    equal = fnmatch.fnmatchcase(text, expected) if "*" in expected else text == expected
    return equal if op == "=" else not equal


def _json_matcher(pattern: str) -> Matcher:
    tokens = _tokens(pattern.strip()[1:-1], pattern)
    pos = 0

    def peek() -> tuple[str, str] | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(tokens):
            raise _invalid(pattern)
        pos += 1
        return tokens[pos - 1]

    def expression() -> Callable[[Any], bool]:
        left = term()
        while peek() and peek()[0] == "logic":
            logic, right = take()[1], term()
            left = (lambda a, b: lambda d: a(d) and b(d))(left, right) if logic == "&&" else \
                (lambda a, b: lambda d: a(d) or b(d))(left, right)
        return left

    def term() -> Callable[[Any], bool]:
        kind, value = take()
        if kind == "paren" and value == "(":
            inner = expression()
            if take() != ("paren", ")"):
                raise _invalid(pattern)
            return inner
        if kind != "sel":
            raise _invalid(pattern)
        selector = value
        kind, value = take()
        if kind == "kw":
            word = " ".join(value.split())
            checks = {"IS TRUE": lambda v: v is True, "IS FALSE": lambda v: v is False,
                      "IS NULL": lambda v: v is None, "NOT EXISTS": lambda v: v is _MISSING}
            check = checks[word]
            return lambda d: check(_select(d, selector))
        if kind != "op":
            raise _invalid(pattern)
        expected_kind, expected = take()
        if expected_kind not in ("str", "word"):
            raise _invalid(pattern)
        return lambda d: _compare(_select(d, selector), value, expected_kind, expected)

    test = expression()
    if pos != len(tokens):
        raise _invalid(pattern)

    def match(message: str) -> dict[str, str] | None:
        try:
            document = json.loads(message)
        except ValueError:
            return None
        return {} if test(document) else None
    return match


# -- space-delimited -------------------------------------------------------------------------

_FIELD_SPLIT = re.compile(r'"[^"]*"|\[[^\]]*\]|\S+')
_FIELD = re.compile(r"^\s*(\w+)\s*(?:(!=|<=|>=|=|<|>)\s*(.+?))?\s*$")


def _space_matcher(pattern: str) -> Matcher:
    specs: list[tuple[str, str | None, str | None] | None] = []  # None: "..."
    for raw in pattern.strip()[1:-1].split(","):
        if raw.strip() == "...":
            specs.append(None)
            continue
        m = _FIELD.match(raw)
        if not m:
            raise _invalid(pattern)
        specs.append((m.group(1), m.group(2), m.group(3).strip('"') if m.group(3) else None))

    def fits(field: str, op: str | None, expected: str | None) -> bool:
        return op is None or _compare(_number_or_text(field), op, "word", expected)

    def match(message: str) -> dict[str, str] | None:
        fields = [f[1:-1] if f[0] in '"[' and len(f) > 1 else f for f in _FIELD_SPLIT.findall(message)]
        return _align(specs, fields, fits)
    return match


def _number_or_text(field: str) -> Any:
    try:
        return float(field)
    except ValueError:
        return field


def _align(specs, fields, fits) -> dict[str, str] | None:
    if not specs:
        return {} if not fields else None
    spec = specs[0]
    if spec is None:
        for skip in range(len(fields) + 1):
            found = _align(specs[1:], fields[skip:], fits)
            if found is not None:
                return found
        return None
    if not fields or not fits(fields[0], spec[1], spec[2]):
        return None
    rest = _align(specs[1:], fields[1:], fits)
    return None if rest is None else {f"${spec[0]}": fields[0], **rest}


def compile_pattern(pattern: str) -> Matcher:
    stripped = pattern.strip()
    if not stripped:
        return lambda message: {}
    if stripped.startswith("{"):
        if not stripped.endswith("}"):
            raise _invalid(pattern)
        return _json_matcher(stripped)
    if stripped.startswith("["):
        if not stripped.endswith("]"):
            raise _invalid(pattern)
        return _space_matcher(stripped)
    return _term_matcher(stripped)


def test_metric_filter(self: LogsResponse) -> str:
    pattern = self._get_param("filterPattern")
    messages = self._get_param("logEventMessages")
    if pattern is None or not messages:
        raise InvalidParameterException(msg="filterPattern and logEventMessages are required.")
    if len(messages) > 50:
        raise InvalidParameterException(constraint="Member must have length less than or equal to 50",
                                        parameter="logEventMessages", value=messages)
    match = compile_pattern(pattern)
    matches = []
    for number, message in enumerate(messages, 1):
        extracted = match(message)
        if extracted is not None:
            matches.append({"eventNumber": number, "eventMessage": message, "extractedValues": extracted})
    return json.dumps({"matches": matches})



def install() -> None:
    patch(LogsResponse, "test_metric_filter", test_metric_filter)
