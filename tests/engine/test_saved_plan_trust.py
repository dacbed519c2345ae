"""`apply PLANFILE` applies a plan only where it was made (account, region, endpoint), and
refuses files it cannot read as a saved plan with one clear line; both before any write."""

from __future__ import annotations

import json

import boto3
import pytest

from reconciler.emulator import Emulator

CONFIG = """
stack: test
topics:
  alerts: {display_name: Alerts}
"""
OTHER_ACCOUNT = "222222222222"


def error_lines(stderr: str) -> list[str]:
    """stderr without the `--stats` report the obsctl fixture asks for."""
    lines = stderr.splitlines()
    stats = next((i for i, line in enumerate(lines) if line.startswith("api calls:")), len(lines))
    return [line for line in lines[:stats] if line.strip()]


def refused(result) -> str:
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.writes == 0, result.calls
    [line] = error_lines(result.stderr)
    assert line.startswith("error: ") and "Traceback" not in result.stderr
    return line


@pytest.fixture
def planfile(obsctl, write_config, tmp_path):
    """A saved plan of creates, made against the session emulator in us-east-1."""
    path = str(tmp_path / "plan.json")
    made = obsctl("plan", write_config(CONFIG), "--out", path)
    assert made.exit_code == 0, made.stderr
    return path


def test_refuses_another_endpoint(obsctl, planfile, aws):
    with Emulator() as other:
        line = refused(obsctl("apply", planfile, "--endpoint-url", other.endpoint_url))
        sns = boto3.client("sns", region_name="us-east-1", endpoint_url=other.endpoint_url)
        assert sns.list_topics()["Topics"] == []
    assert "endpoint" in line and other.endpoint_url in line and aws.endpoint_url in line
    assert "nothing was applied" in line


def test_refuses_another_region(obsctl, planfile, boto):
    line = refused(obsctl("apply", planfile, "--region", "eu-west-1"))
    assert "region" in line and "us-east-1" in line and "eu-west-1" in line
    assert boto("sns", region="eu-west-1").list_topics()["Topics"] == []


def test_refuses_another_account(obsctl, planfile, boto, aws, monkeypatch):
    # moto maps the credentials of a role in another account to that account (STS AssumeRole).
    role = f"arn:aws:iam::{OTHER_ACCOUNT}:role/deployer"
    creds = boto("sts").assume_role(RoleArn=role, RoleSessionName="ci")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
    other = boto3.Session(region_name="us-east-1")  # the default session keeps its credentials
    assert other.client("sts", endpoint_url=aws.endpoint_url).get_caller_identity()["Account"] \
        == OTHER_ACCOUNT

    line = refused(obsctl("apply", planfile))
    assert "account" in line and "123456789012" in line and OTHER_ACCOUNT in line
    assert other.client("sns", endpoint_url=aws.endpoint_url).list_topics()["Topics"] == []


def test_applies_where_it_was_made(obsctl, planfile, boto):
    applied = obsctl("apply", planfile)
    assert applied.exit_code == 0, applied.stderr
    assert len(boto("sns").list_topics()["Topics"]) == 1


def test_records_where_it_was_made(planfile, aws):
    stack = json.loads(open(planfile).read())["saved"]["stacks"]["test"]
    assert stack["planned_in"] == {"account": "123456789012", "region": "us-east-1",
                               "endpoint": aws.endpoint_url}


# --- files that are not (readable) saved plans ------------------------------------------------

def _rewrite(planfile: str, edit) -> None:
    document = json.loads(open(planfile).read())
    edit(document)
    open(planfile, "w").write(json.dumps(document))


def test_not_json(obsctl, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("stack: test\n")
    line = refused(obsctl("apply", str(path)))
    assert "is not JSON" in line


def test_binary_plan_file_without_json_suffix(obsctl, tmp_path):
    path = tmp_path / "tfplan"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    line = refused(obsctl("apply", str(path)))
    assert "is not JSON" in line and "\x1f" not in line


def test_plain_json_plan_is_not_a_saved_plan(obsctl, write_config, tmp_path):
    path = tmp_path / "plan.json"
    rendered = obsctl("plan", write_config(CONFIG), "--format", "json")
    path.write_text(rendered.stdout)
    line = refused(obsctl("apply", str(path)))
    assert "is not a saved obsctl plan" in line and "obsctl plan --out" in line


def test_wrong_format_marker(obsctl, planfile):
    _rewrite(planfile, lambda d: d["saved"].update(kind="terraform-plan\x1b[31m"))
    line = refused(obsctl("apply", planfile))
    assert "is not a saved obsctl plan" in line and "terraform-plan" in line
    assert "\x1b" not in line


def test_future_format_version(obsctl, planfile):
    _rewrite(planfile, lambda d: d["saved"].update(version=99))
    line = refused(obsctl("apply", planfile))
    assert "newer obsctl" in line and "99" in line


def test_older_format_without_a_recorded_target(obsctl, planfile):
    def as_before_targets(document):
        del document["saved"]["version"]
        for stack in document["saved"]["stacks"].values():
            del stack["planned_in"]
    _rewrite(planfile, as_before_targets)
    line = refused(obsctl("apply", planfile))
    assert "older obsctl" in line and "obsctl plan --out" in line


def test_damaged_saved_plan(obsctl, planfile):
    _rewrite(planfile, lambda d: d["saved"].pop("stacks"))
    line = refused(obsctl("apply", planfile))
    assert "damaged" in line and "stacks" in line


def test_damaged_changes(obsctl, planfile):
    _rewrite(planfile, lambda d: d["changes"][0].pop("action"))
    line = refused(obsctl("apply", planfile))
    assert "damaged" in line and "action" in line
