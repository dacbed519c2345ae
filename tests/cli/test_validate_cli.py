"""Every file in tests/corpus/ through the CLI: exit 1, a file:line:col error on stderr, no
traceback, no API call, quickly. The loader-level checks live in tests/corpus/."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.corpus.test_corpus import expectations

CORPUS = Path(__file__).parents[1] / "corpus"
HOSTILE = sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".yml"))
LOCATION = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): error: ", re.MULTILINE)


@pytest.mark.parametrize("path", HOSTILE, ids=[p.name for p in HOSTILE])
def test_hostile_file_fails_cleanly(obsctl, path):
    started = time.monotonic()
    result = obsctl("validate", str(path))
    elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.stdout
    assert "Traceback" not in result.stderr
    reported = {(Path(m["file"]).name, int(m["line"])) for m in LOCATION.finditer(result.stderr)}
    assert reported == {(path.name, line) for line, _ in expectations(path)}, result.stderr
    assert sum(result.calls.values()) == 0
    assert elapsed < 2, f"{path.name} took {elapsed:.1f}s"


def test_plan_with_bad_config_sends_nothing(obsctl, aws):
    result = obsctl("plan", str(HOSTILE[0]))
    assert result.exit_code == 1
    assert sum(result.calls.values()) == 0
    assert "nothing was sent to AWS" in result.stderr


def test_console_script_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("stack: s\nalarms:\n  x:\n    treshold: 5\n")
    result = subprocess.run([sys.executable, "-m", "reconciler", "validate", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{bad}:4:5: error:" in result.stderr


def test_valid_examples_validate(obsctl):
    examples = Path(__file__).parents[2] / "examples"
    result = obsctl("validate", str(examples))
    assert result.exit_code == 0, result.stderr
    assert "valid" in result.stdout


def test_corpus_covers_at_least_a_hundred_cases():
    assert len(HOSTILE) >= 100


def test_validate_format_github_annotates_every_error_on_stdout(obsctl, write_config):
    path = write_config("""\
        stack: s
        topics:
          a: {display_name: 5}
        alarms:
          x:
            metric: {namespace: N, name: M, stat: Average, period: 90}
            when: "> 1"
        """)
    result = obsctl("validate", "--format", "github", path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"::error file={path.replace(':', '%3A').replace(',', '%2C')},line=3,col=7::"
        "topics.a.display_name: input should be a valid string, got 5",
        f"::error file={path.replace(':', '%3A').replace(',', '%2C')},line=6,col=52::"
        "alarms.x.metric.period: period 90 is not 10, 20, 30 or a multiple of 60"]
    assert "2 errors in the configuration" in result.stderr
    assert sum(result.calls.values()) == 0


def test_validate_format_github_prints_nothing_on_stdout_for_a_valid_config(obsctl, write_config):
    result = obsctl("validate", "--format", "github", write_config("stack: s\ntopics: {a: {}}\n"))
    assert result.exit_code == 0 and "valid" in result.stdout and "::error" not in result.stdout
