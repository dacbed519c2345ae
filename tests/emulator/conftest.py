"""One real emulator (subprocess, HTTP) per test worker, reset before every test.

Self-contained on purpose: fixtures are prefixed ``emu_`` so they never clash with the
project-wide tests/conftest.py."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from reconciler.emulator import Emulator

REGION = "us-east-1"


@pytest.fixture(scope="session")
def emu_server():
    with Emulator() as running:
        yield running


@pytest.fixture
def emu(emu_server):
    """The running emulator, emptied."""
    emu_server.reset()
    return emu_server


@pytest.fixture
def emu_client(emu):
    """``emu_client("logs")``: a plain boto3 client pointed at the emulator."""

    def make(service: str, **config):
        return boto3.client(
            service,
            endpoint_url=emu.endpoint_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, **config),
        )

    return make
