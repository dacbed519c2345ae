"""Every hostile or wrong file in this directory fails to load with exactly the diagnostics it
states, quickly. The same files go through the CLI in tests/cli/test_validate_cli.py.

Each file states what it must produce in header comments, one per diagnostic:

    # expect: line 6: alarms.churn-latency-p90.metric.period: period 90 is not 10, 20, 30 ...

(the message is a prefix of the diagnostic's). Files that cannot carry a comment (binary,
UTF-16, empty) state it in a sidecar `<file>.expect`.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from reconciler.config import load_stacks
from reconciler.diagnostics import ConfigError
from reconciler.kinds import KINDS

CORPUS = Path(__file__).parent
FILES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".yml"))
_EXPECT = re.compile(rb"^# expect: line (\d+): (.+)$", re.MULTILINE)


def expectations(path: Path) -> list[tuple[int, str]]:
    """(line, message prefix) of every diagnostic `path` states it must produce."""
    sidecar = path.with_name(path.name + ".expect")
    text = sidecar.read_bytes() if sidecar.exists() else path.read_bytes()
    return sorted((int(line), message.decode().rstrip()) for line, message in _EXPECT.findall(text))


def located_diagnostics(path: str) -> list[tuple[int, str]]:
    started = time.monotonic()
    with pytest.raises(ConfigError) as raised:
        load_stacks([path], KINDS)
    elapsed = time.monotonic() - started
    assert elapsed < 2, f"{path} took {elapsed:.1f}s"
    return sorted((d.location.line, d.message) for d in raised.value.diagnostics
                  if d.location and d.location.file == path)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_file_fails_with_the_diagnostics_it_states(path):
    expected = expectations(path)
    assert expected, f"{path.name} states no `# expect: line N: message`"
    found = located_diagnostics(str(path))
    assert len(found) == len(expected), found
    for (line, message), (want_line, want) in zip(found, expected):
        assert line == want_line and message.startswith(want), (found, expected)


def test_file_over_the_size_limit(tmp_path):
    # Generated, not committed: 11 MB of otherwise valid YAML.
    big = tmp_path / "big.yaml"
    line = b"# padding padding padding padding padding padding padding padding padding\n"
    big.write_bytes(b"stack: big\n" + line * (11_000_000 // len(line)))
    found = located_diagnostics(str(big))
    assert found == [(1, "file is 10.5 MiB, larger than the 10 MiB limit")]
