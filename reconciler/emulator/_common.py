"""Helpers shared by the per-service extensions: idempotent patching and opaque page tokens."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Callable, Iterable, Sequence, TypeVar

T = TypeVar("T")

# (class, attribute) -> what moto had there before we patched it.
_ORIGINALS: dict[tuple[type, str], Any] = {}


def patch(cls: type, name: str, func: Callable[..., Any]) -> None:
    """Replace ``cls.name`` by ``func``, remembering moto's version once.

    Patching twice keeps the first original, so ``install()`` stays idempotent."""
    key = (cls, name)
    if key not in _ORIGINALS:
        _ORIGINALS[key] = cls.__dict__.get(name)
    func._obsctl_patch = True  # type: ignore[attr-defined]
    setattr(cls, name, func)


def original(cls: type, name: str) -> Any:
    """moto's implementation of ``cls.name`` from before ``patch``."""
    return _ORIGINALS[(cls, name)]


def state(backend: Any, attr: str, factory: Callable[[], T]) -> T:
    """Extension state kept on a moto backend instance.

    moto's reset (``/moto-api/reset``) throws the backends away, so state stored here is reset
    with everything else."""
    if attr not in backend.__dict__:
        backend.__dict__[attr] = factory()
    return backend.__dict__[attr]


class BadToken(ValueError):
    pass


def encode_token(kind: str, key: Any) -> str:
    raw = json.dumps({"k": kind, "after": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(kind: str, token: str) -> Any:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise BadToken(token) from exc
    if not isinstance(data, dict) or data.get("k") != kind or "after" not in data:
        raise BadToken(token)
    return data["after"]


def paginate(
    items: Iterable[T],
    key: Callable[[T], Sequence[Any]],
    limit: int,
    token: str | None,
    kind: str,
) -> tuple[list[T], str | None]:
    """One page of ``items`` ordered by ``key``, and the token for the next page (or None).

    The token records the key of the last item returned ("resume after"), not an index, so
    deleting or adding items between two calls never skips or repeats the remaining ones and
    the loop always ends: the behaviour a caller paging through real AWS relies on."""
    ordered = sorted(items, key=lambda i: list(key(i)))
    if token:
        after = decode_token(kind, token)
        ordered = [i for i in ordered if list(key(i)) > after]
    page = ordered[:limit]
    more = len(ordered) > limit
    return page, (encode_token(kind, list(key(page[-1]))) if more and page else None)
