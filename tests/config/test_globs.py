"""Glob intersection, checked against fnmatch itself on every short name."""

from __future__ import annotations

import fnmatch
import itertools
import random
import re

import pytest

from reconciler.config.globs import globs_overlap

# Patterns of at most 3 pieces, each matching one character or being `*`, meet (if at all)
# on a name of at most 4 characters (2 + 2 when both have a star, else the starless one's
# length), over their own characters: NAMES holds every such name.
ALPHABET = "ab-[]"
NAMES = ["".join(p) for n in range(5) for p in itertools.product(ALPHABET, repeat=n)]
PIECES = ["a", "b", "-", "*", "?", "[ab]", "[!a]", "[a-b]", "[", "]", "[!-]"]


def brute_force(first: str, second: str) -> bool:
    a, b = re.compile(fnmatch.translate(first)), re.compile(fnmatch.translate(second))
    return any(a.match(n) and b.match(n) for n in NAMES)


@pytest.mark.parametrize("first, second, expected", [
    ("ml-*", "ml-platform-endpoint-prod-*", True),
    ("ml-churn-*", "ml-platform-endpoint-prod-*", False),
    ("*-a", "b-*", True),
    ("a*", "b*", False),
    ("[!a-z]*", "[0-9]x", True),
    ("[a-z]*", "[0-9]x", False),
    ("[!a]", "[!b]", True),
    ("?", "", False),
    ("*", "", True),
    ("a[", "a[", True),  # an unclosed bracket is a literal
    ("a[", "ab", False),
])
def test_examples(first, second, expected):
    assert globs_overlap(first, second) is expected
    assert globs_overlap(second, first) is expected


def test_agrees_with_fnmatch_on_random_patterns():
    rng = random.Random(10)
    for _ in range(3000):
        first = "".join(rng.choices(PIECES, k=rng.randint(0, 3)))
        second = "".join(rng.choices(PIECES, k=rng.randint(0, 3)))
        assert globs_overlap(first, second) == brute_force(first, second), (first, second)
