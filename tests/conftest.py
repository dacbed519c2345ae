"""Shared fixtures: one real emulator (moto server + extensions) per test worker, reset
before every test, and the obsctl CLI run in-process against it over HTTP."""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from dataclasses import dataclass

import boto3
import pytest
from click.testing import CliRunner

from reconciler.cli import main as obsctl_main
from reconciler.emulator import Emulator

REGION = "us-east-1"
_STATS_LINE = re.compile(r"^\s{2}(\S+\.\S+)\s+(\d+)$")


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str
    calls: Counter  # API calls by "service.Operation", from `--stats`

    @property
    def writes(self) -> int:
        from reconciler.aws import is_write

        return sum(n for op, n in self.calls.items() if is_write(op.split(".", 1)[1]))


@pytest.fixture(scope="session")
def emulator():
    with Emulator() as running:
        yield running


@pytest.fixture
def aws(emulator, monkeypatch):
    """A clean emulator and an environment pointing every client at it."""
    emulator.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return emulator


@pytest.fixture
def boto(aws):
    """Plain boto3 clients against the emulator, for out-of-band changes and checks."""
    def client(service: str, region: str = REGION):
        return boto3.client(service, region_name=region, endpoint_url=aws.endpoint_url)
    return client


@pytest.fixture
def obsctl(aws):
    """The CLI, always pointed at the emulator: no test can reach real AWS by accident."""
    def run(*args: str, input: str | None = None) -> Result:
        result = CliRunner().invoke(obsctl_main, ["--stats", *args], input=input,
                                    catch_exceptions=True)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Result(result.exit_code, result.stdout, result.stderr, _parse_stats(result.stderr))
    return run


@pytest.fixture
def write_config(tmp_path):
    """Write a YAML config (dedented) and return its path as a string."""
    def write(text: str, name: str = "stack.yaml") -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return str(path)
    return write


def _parse_stats(stderr: str) -> Counter:
    calls: Counter = Counter()
    for line in stderr.splitlines():
        match = _STATS_LINE.match(line)
        if match:
            calls[match.group(1)] += int(match.group(2))
    return calls
