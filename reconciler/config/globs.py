"""Do two `fnmatch` patterns have a name in common?

`prune` patterns are globs, and so are the names an endpoint monitor generates
(`<prefix>-<endpoint glob>`); a stack's pattern that covers names another stack generates
is found by intersecting the two globs, without listing any name.

Both patterns become token lists (a set of characters, `?` and `[...]` included, or `*`),
and a breadth-first walk over pairs of positions looks for a string both accept: a token
pair advances together on a character both sets contain, a `*` may also match nothing or
absorb a character. Sets are kept as sorted code-point ranges, possibly negated, so `[!a-z]`
meets `[0-9]` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CODE_POINT = 0x10FFFF


@dataclass(frozen=True)
class CharSet:
    ranges: tuple[tuple[int, int], ...]  # inclusive, sorted, disjoint
    negated: bool = False

    def meets(self, other: "CharSet") -> bool:
        """Is some character in both sets?"""
        if self.negated and other.negated:
            return True  # each excludes finitely many of the 1.1 million code points
        if self.negated or other.negated:
            positive, negative = (other, self) if self.negated else (self, other)
            return not _covers(negative.ranges, positive.ranges)
        return any(a <= d and c <= b for a, b in self.ranges for c, d in other.ranges)


ANY = CharSet((), negated=True)
STAR = None  # the `*` token


def globs_overlap(first: str, second: str) -> bool:
    """True when some name matches both patterns (`fnmatch.fnmatchcase` semantics)."""
    a, b = tokens(first), tokens(second)
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        todo += _moves(a, b, i, j)
    return False


def _moves(a: list, b: list, i: int, j: int) -> list[tuple[int, int]]:
    moves = []
    if i < len(a) and a[i] is STAR:
        moves.append((i + 1, j))  # the star matches nothing more
    if j < len(b) and b[j] is STAR:
        moves.append((i, j + 1))
    if i < len(a) and j < len(b):  # one character both accept
        left = ANY if a[i] is STAR else a[i]
        right = ANY if b[j] is STAR else b[j]
        if left.meets(right):
            moves.append((i if a[i] is STAR else i + 1, j if b[j] is STAR else j + 1))
    return moves


def tokens(pattern: str) -> list:
    """`pattern` as fnmatch reads it: `*`, `?`, `[...]` (`[!...]` negated), else literals;
    a `[` without its `]` is a literal."""
    result: list = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            if not result or result[-1] is not STAR:
                result.append(STAR)
            index += 1
        elif char == "?":
            result.append(ANY)
            index += 1
        elif char == "[":
            parsed = _bracket(pattern, index)
            if parsed is None:
                result.append(_literal("["))
                index += 1
            else:
                charset, index = parsed
                result.append(charset)
        else:
            result.append(_literal(char))
            index += 1
    return result


def _literal(char: str) -> CharSet:
    return CharSet(((ord(char), ord(char)),))


def _bracket(pattern: str, start: int) -> tuple[CharSet, int] | None:
    """The set `[...]` at `start` and the index after it, or None when it is not closed."""
    index = start + 1
    negated = index < len(pattern) and pattern[index] == "!"
    if negated:
        index += 1
    first = index
    ranges = []
    while index < len(pattern) and (pattern[index] != "]" or index == first):
        low = pattern[index]
        if index + 2 < len(pattern) and pattern[index + 1] == "-" and pattern[index + 2] != "]":
            high = pattern[index + 2]
            index += 3
        else:
            high = low
            index += 1
        if ord(low) <= ord(high):  # fnmatch ignores reversed ranges
            ranges.append((ord(low), ord(high)))
    if index >= len(pattern):
        return None
    return CharSet(_normalized(ranges), negated), index + 1


def _normalized(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return tuple(merged)


def _covers(outer: tuple[tuple[int, int], ...], inner: tuple[tuple[int, int], ...]) -> bool:
    """Is every code point of `inner` inside `outer` (both normalized)?"""
    return all(any(a <= c and d <= b for a, b in outer) for c, d in inner)
