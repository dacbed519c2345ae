"""pydantic's validation errors as Diagnostics: at the `file:line:col` where the user wrote
the value, under the path the user wrote it (a value merged from `defaults` is reported there),
with a did-you-mean hint for misspelled keys and literals."""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from reconciler.config.stack import locate
from reconciler.diagnostics import Diagnostic, Location


def model_diagnostic(error: dict, data: dict, sources: dict[tuple, Location],
                     origins: dict[tuple, tuple], model: type[BaseModel]) -> Diagnostic:
    """The Diagnostic of one of pydantic's `errors()` on validating `data` with `model`;
    `sources` locate the data's paths, `origins` map merged-in paths to where they came from."""
    path = _data_path(data, error)
    location = locate(sources, path)
    shown = _origin(path, origins)
    kind = error["type"]
    if kind in ("missing", "extra_forbidden"):
        shown, text = shown[:-1], _describe(error, shown[-1])
    elif error["loc"][-1] == "[key]":
        shown = shown[:-1]
        text = f"invalid key {show(error['input'])}: {_describe(error, show_input=False)}"
    else:
        text = _describe(error)
    message = f"{dotted(shown)}: {text}" if shown else text
    return Diagnostic(message, location, _hint(model, error))


def _data_path(data: Any, error: dict) -> tuple:
    """The keys and indices of the error's `loc` that exist in the data.

    pydantic's loc also names union members and validator steps ('MetricRef',
    'function-after[...]'); those are not in the data and are dropped. A missing key is
    kept: it is the last element, and the location is then that of its parent mapping.
    """
    path, node = [], data
    loc = error["loc"]
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif error["type"] == "missing" and index == len(loc) - 1:
            path.append(part)
    return tuple(path)


def _origin(path: tuple, origins: dict[tuple, tuple]) -> tuple:
    """`path` as the user wrote it: under `defaults` when the value was merged from there."""
    for end in range(len(path), 0, -1):
        origin = origins.get(path[:end])
        if origin is not None:
            return origin + path[end:]
    return path


def _describe(error: dict, key: Any = None, show_input: bool = True) -> str:
    kind = error["type"]
    if kind == "missing":
        return f"required key {key!r} is missing"
    if kind == "extra_forbidden":
        return f"unknown key {key!r}"
    if kind in ("too_long", "too_short"):
        # pydantic says "not more" when it stopped counting; the input has the real size.
        ctx = error["ctx"]
        bound = f"at most {ctx['max_length']}" if kind == "too_long" else f"at least {ctx['min_length']}"
        return f"{ctx['field_type'].lower()} should have {bound} items, got {len(error['input'])}"
    message = error["msg"].removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    if not show_input or kind in ("value_error", "assertion_error"):
        return message  # the value is already named (our validators' messages name it)
    return f"{message}, got {show(error['input'])}"


def show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def dotted(path: tuple) -> str:
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif (isinstance(part, str) and part and part.isprintable()
              and not set(part) & set(".[]'\" ")):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def _hint(model: type[BaseModel], error: dict) -> str | None:
    loc, kind = error["loc"], error["type"]
    if kind == "extra_forbidden":
        wrong, candidates = loc[-1], _field_names(_types_at(model, loc[:-1]))
    elif kind == "literal_error" and loc[-1] == "[key]":
        wrong, candidates = error["input"], _literal_values(_key_types_at(model, loc[:-2]))
    elif kind == "literal_error":
        wrong, candidates = error["input"], _literal_values(_types_at(model, loc))
    else:
        return None
    if not isinstance(wrong, str):
        return None
    close = difflib.get_close_matches(wrong, [str(c) for c in candidates], n=1)
    return f"did you mean {close[0]!r}?" if close else None


def _types_at(model: type[BaseModel], loc: tuple) -> list[Any]:
    """The types the model allows at `loc` (several when unions are involved)."""
    current: list[Any] = [model]
    for part in loc:
        current = _step(current, part)
    return current


def _key_types_at(model: type[BaseModel], loc: tuple) -> list[Any]:
    return [get_args(t)[0] for t in _members_of(_types_at(model, loc)) if get_origin(t) is dict]


def _step(current: list[Any], part: Any) -> list[Any]:
    members = _members_of(current)
    named = [t for t in members if _is_model(t) and t.__name__ == part]
    if named:  # pydantic names the union member it tried
        return named
    found = []
    for t in members:
        if _is_model(t):
            found.extend(f.annotation for name, f in t.model_fields.items()
                         if part in (name, f.alias))
        elif get_origin(t) is dict:
            found.append(get_args(t)[1])
        elif get_origin(t) in (list, tuple, set, frozenset) and isinstance(part, int):
            found.append(get_args(t)[0])
    # A part that leads nowhere is a validator step ('function-after[...]'): stay put.
    return found or members


def _members_of(current: list[Any]) -> list[Any]:
    """Unions flattened and Annotated unwrapped."""
    members = []
    for t in current:
        if get_origin(t) is Annotated:
            members.extend(_members_of([get_args(t)[0]]))
        elif get_origin(t) in (Union, types.UnionType):
            members.extend(_members_of(list(get_args(t))))
        else:
            members.append(t)
    return members


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _field_names(current: list[Any]) -> list[str]:
    return [f.alias or name for t in _members_of(current) if _is_model(t)
            for name, f in t.model_fields.items()]


def _literal_values(current: list[Any]) -> list[Any]:
    return [v for t in _members_of(current) if get_origin(t) is Literal for v in get_args(t)]
