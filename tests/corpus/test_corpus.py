"""Every hostile or wrong file in this directory fails to load with a located diagnostic,
quickly. The same files go through the CLI in tests/cli/test_validate_cli.py."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler.config import load_stacks
from reconciler.diagnostics import ConfigError

CORPUS = Path(__file__).parent
FILES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".yml"))


def assert_fails_at(path: str) -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError) as raised:
        load_stacks([path])
    elapsed = time.monotonic() - started
    located = [d for d in raised.value.diagnostics
               if d.location and d.location.file == path and d.location.line >= 1]
    assert located, str(raised.value)
    assert elapsed < 2, f"{path} took {elapsed:.1f}s"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_file_fails_with_a_location(path):
    assert_fails_at(str(path))


def test_file_over_the_size_limit(tmp_path):
    # Generated, not committed: 11 MB of otherwise valid YAML.
    big = tmp_path / "big.yaml"
    line = b"# padding padding padding padding padding padding padding padding padding\n"
    big.write_bytes(b"stack: big\n" + line * (11_000_000 // len(line)))
    assert_fails_at(str(big))
