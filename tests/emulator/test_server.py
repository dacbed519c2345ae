"""The emulator process itself: startup line, reset, seeding, shutdown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from reconciler.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); look at its state
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_reset_empties_every_service(emu, emu_client):
    logs = emu_client("logs")
    logs.create_log_group(logGroupName="/x")
    emu.reset()
    assert logs.describe_log_groups()["logGroups"] == []
    assert emu.endpoint_url.startswith("http://127.0.0.1:")


def test_seeded_emulator_has_demo_endpoints_and_stops_cleanly():
    with Emulator(seed=True) as emu:
        pid = emu.pid
        sm = boto3.client("sagemaker", endpoint_url=emu.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        names = sorted(e["EndpointName"] for e in sm.list_endpoints()["Endpoints"])
        assert names == ["prod-churn", "prod-fraud", "staging-churn"]
        config = sm.describe_endpoint_config(EndpointConfigName="prod-churn-config")
        assert [v["VariantName"] for v in config["ProductionVariants"]] == ["AllTraffic"]
        assert sm.describe_endpoint(EndpointName="prod-fraud")["EndpointStatus"] == "InService"
        for name in ("prod-churn", "prod-fraud"):  # prod captures data for Model Monitor
            capture = sm.describe_endpoint(EndpointName=name)["DataCaptureConfig"]
            assert capture == {"EnableCapture": True, "CaptureStatus": "Started", "CurrentSamplingPercentage": 100,
                               "DestinationS3Uri": f"s3://obsctl-demo-data-capture/{name}"}
        assert "DataCaptureConfig" not in sm.describe_endpoint(EndpointName="staging-churn")
        s3 = boto3.client("s3", endpoint_url=emu.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.head_bucket(Bucket="obsctl-demo-data-capture")
        lam = boto3.client("lambda", endpoint_url=emu.endpoint_url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        layers = {f["FunctionName"]: [layer["Arn"] for layer in f.get("Layers", [])]
                  for f in lam.list_functions()["Functions"]}
        assert layers == {  # serverless inference: one with Lambda Insights, one without
            "infer-churn": ["arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:53"],
            "infer-fraud": []}
    assert not _alive(pid)


def test_module_entry_point_prints_listening_line_and_no_access_log():
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "reconciler.emulator", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("obsctl emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        boto3.client("logs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="t",
                     aws_secret_access_key="t").describe_log_groups()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "POST / HTTP" not in err  # werkzeug's access log is silenced


def test_emulator_reports_a_server_that_cannot_start():
    with Emulator() as first:
        port = int(first.endpoint_url.rsplit(":", 1)[1])
        with pytest.raises(RuntimeError):
            Emulator(port=port, stderr=subprocess.DEVNULL).start()


def test_install_is_idempotent():
    from moto.cloudwatch.responses import CloudWatchResponse

    from reconciler.emulator import _common, install

    install()
    patched = CloudWatchResponse.describe_alarms
    install()
    assert CloudWatchResponse.describe_alarms is patched
    assert getattr(patched, "_obsctl_patch", False)
    assert _common.original(CloudWatchResponse, "describe_alarms").__module__ == "moto.cloudwatch.responses"
