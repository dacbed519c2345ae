"""`obsctl emulator` as a user runs it: in the foreground, printing its endpoint."""

from __future__ import annotations

import re
import subprocess
import sys

import boto3


def test_obsctl_emulator_serves_on_loopback_and_prints_the_endpoint():
    process = subprocess.Popen([sys.executable, "-m", "reconciler", "emulator", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        match = re.fullmatch(r"obsctl emulator listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        logs = boto3.client("logs", endpoint_url=match[1], region_name="us-east-1",
                            aws_access_key_id="x", aws_secret_access_key="x")
        logs.create_log_group(logGroupName="/probe")
        names = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
        assert names == ["/probe"]
    finally:
        process.terminate()
        process.wait(timeout=20)
