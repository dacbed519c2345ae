"""The event-pattern grammar EventBridge accepts (content filters: prefix, suffix,
anything-but, numeric, exists, cidr, equals-ignore-case, wildcard, $or), checked at
validation so that a pattern PutRule would refuse is an error at its line.
"""

from __future__ import annotations

import ipaddress
from typing import Any


_NUMERIC_OPERATORS = ("<", "<=", "=", ">", ">=")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def pattern_problems(pattern: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """(path inside the pattern, message) for everything EventBridge would refuse."""
    if not isinstance(pattern, dict) or not pattern:
        return [(path, "an event pattern is a non-empty mapping of event fields")]
    problems = []
    for key, value in pattern.items():
        here = path + (key,)
        if not isinstance(key, str) or not key:
            problems.append((path, f"field names are non-empty strings, not {key!r}"))
        elif key == "$or":
            problems += _or_problems(value, here)
        elif isinstance(value, dict):
            problems += pattern_problems(value, here)
        elif isinstance(value, list):
            problems += _values_problems(value, here)
        else:
            problems.append((here, "match values go in an array (e.g. [Failed]) or a nested "
                                   "mapping, not a single value"))
    return problems


def _or_problems(value, path: tuple) -> list[tuple[tuple, str]]:
    if not isinstance(value, list) or len(value) < 2:
        return [(path, "$or takes a list of at least two patterns")]
    return [p for index, branch in enumerate(value) for p in pattern_problems(branch, path + (index,))]


def _values_problems(values: list, path: tuple) -> list[tuple[tuple, str]]:
    if not values:
        return [(path, "empty arrays match nothing; EventBridge refuses them")]
    problems = []
    for index, value in enumerate(values):
        here = path + (index,)
        if isinstance(value, dict):
            problems += [(here, message) for message in _matcher_problems(value)]
        elif isinstance(value, list):
            problems.append((here, "arrays of match values cannot nest"))
    return problems


def _matcher_problems(matcher: dict) -> list[str]:
    if len(matcher) != 1:
        return [f"a matcher has exactly one key, one of prefix, suffix, anything-but, numeric, "
                f"exists, cidr, equals-ignore-case, wildcard; got {sorted(map(str, matcher))}"]
    [(name, operand)] = matcher.items()
    check = _MATCHERS.get(name)
    if check is None:
        return [f"unknown matcher {name!r}: use prefix, suffix, anything-but, numeric, exists, "
                "cidr, equals-ignore-case or wildcard"]
    problem = check(operand)
    return [f"{name}: {problem}"] if problem else []


def _string_or_ignore_case(operand) -> str | None:
    if isinstance(operand, str):
        return None
    if isinstance(operand, dict) and list(operand) == ["equals-ignore-case"] and \
            isinstance(operand["equals-ignore-case"], str):
        return None
    return "takes a string (or {equals-ignore-case: string})"


def _string(operand) -> str | None:
    return None if isinstance(operand, str) else "takes a string"


def _anything_but(operand) -> str | None:
    if isinstance(operand, str) or _is_number(operand):
        return None
    if isinstance(operand, list):
        if operand and (all(isinstance(v, str) for v in operand) or all(map(_is_number, operand))):
            return None
        return "takes a non-empty list of only strings or only numbers"
    if isinstance(operand, dict) and len(operand) == 1:
        [(name, inner)] = operand.items()
        if name in ("prefix", "suffix") and isinstance(inner, str):
            return None
        if name in ("equals-ignore-case", "wildcard") and (
                isinstance(inner, str) or (isinstance(inner, list) and inner
                                           and all(isinstance(v, str) for v in inner))):
            return None
    return ("takes a string, a number, a list of them, or one of {prefix: s}, {suffix: s}, "
            "{equals-ignore-case: s}, {wildcard: s}")


def _numeric(operand) -> str | None:
    shape = ('takes [operator, number] or [">" or ">=", number, "<" or "<=", number], '
             "operators <, <=, =, >, >=")
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        return shape
    operators, numbers = operand[0::2], operand[1::2]
    if not all(op in _NUMERIC_OPERATORS for op in operators) or not all(map(_is_number, numbers)):
        return shape
    if len(operand) == 4 and not (operators[0] in (">", ">=") and operators[1] in ("<", "<=")
                                  and numbers[0] < numbers[1]):
        return 'a range is [">" or ">=", low, "<" or "<=", high] with low below high'
    return None


def _exists(operand) -> str | None:
    return None if isinstance(operand, bool) else "takes true or false"


def _cidr(operand) -> str | None:
    try:
        ipaddress.ip_network(operand, strict=False)
    except (TypeError, ValueError):
        return f"{operand!r} is not an IP address range such as 10.0.0.0/24"
    return None


_MATCHERS = {"prefix": _string_or_ignore_case, "suffix": _string_or_ignore_case,
             "anything-but": _anything_but, "numeric": _numeric, "exists": _exists,
             "cidr": _cidr, "equals-ignore-case": _string, "wildcard": _string}
