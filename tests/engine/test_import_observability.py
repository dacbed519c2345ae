"""`obsctl import` of OAM sinks and links made by hand with plain boto3 -> YAML -> with
--adopt, `obsctl plan` empty."""

from __future__ import annotations

import json
from pathlib import Path

from ruamel.yaml import YAML

from reconciler.kinds.observability_sinks import sink_policy
from tests.helpers import assert_no_changes
from tests.kinds.test_observability import METRICS_AND_LOGS, SOURCE, client_in

ORG_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Resource": "*",
    "Action": ["oam:UpdateLink", "oam:CreateLink"],
    "Condition": {"ForAllValues:StringEquals": {"oam:ResourceTypes": list(reversed(METRICS_AND_LOGS))},
                  "ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-abcdef0123"}}}]}


def load(path) -> dict:
    return YAML(typ="safe").load(Path(path).read_text())


def test_sink_round_trip_with_adopt(obsctl, write_config, boto, tmp_path):
    oam = boto("oam")
    arn = oam.create_sink(Name="central", Tags={"team": "platform", "cost": "obs"})["Arn"]
    oam.put_sink_policy(SinkIdentifier=arn, Policy=json.dumps(ORG_POLICY))
    write_config("stack: monitoring\ntags: {team: platform}\n", name="monitoring/stack.yaml")
    out = tmp_path / "monitoring/sinks.yaml"
    result = obsctl("import", str(tmp_path / "monitoring"), "--kind", "observability_sinks",
                    "--output", str(out), "--adopt")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.writes == 1 and result.calls["oam.TagResource"] == 1, result.calls
    assert load(out) == {"stack": "monitoring", "observability_sinks": {"central": {
        "source_accounts": {"organization_id": "o-abcdef0123"},
        "resource_types": METRICS_AND_LOGS, "tags": {"cost": "obs"}}}}
    assert_no_changes(obsctl, str(tmp_path / "monitoring"))


def test_sink_with_a_policy_obsctl_cannot_express_is_refused(obsctl, write_config, boto):
    oam = boto("oam")
    arn = oam.create_sink(Name="central")["Arn"]
    oam.put_sink_policy(SinkIdentifier=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "oam:*", "Resource": "*"}]}))
    path = write_config("stack: monitoring\n")
    result = obsctl("import", path, "--kind", "observability_sinks")
    assert result.exit_code == 1
    assert "not of the shape obsctl writes" in result.stderr
    assert "Traceback" not in result.stderr


def test_link_round_trip_with_adopt_in_the_source_account(aws, obsctl, write_config, boto, tmp_path):
    oam = boto("oam")
    sink = oam.create_sink(Name="central")["Arn"]
    oam.put_sink_policy(SinkIdentifier=sink, Policy=json.dumps(sink_policy({
        "source_accounts": [SOURCE], "resource_types": METRICS_AND_LOGS})))
    source = client_in(aws, SOURCE, "oam")
    source.create_link(SinkIdentifier=sink, LabelTemplate="ml-$AccountName",
                       ResourceTypes=list(reversed(METRICS_AND_LOGS)), Tags={"owner": "ml"})
    write_config(f"stack: source\nrole_arn: arn:aws:iam::{SOURCE}:role/obsctl\n",
                 name="source/stack.yaml")
    out = tmp_path / "source/links.yaml"
    result = obsctl("import", str(tmp_path / "source"), "--kind", "observability_links",
                    "--output", str(out), "--adopt")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.writes == 1 and result.calls["oam.TagResource"] == 1, result.calls
    assert load(out) == {"stack": "source", "observability_links": {"to-123456789012": {
        "sink": sink, "label": "ml-$AccountName", "resource_types": METRICS_AND_LOGS,
        "tags": {"owner": "ml"}}}}
    assert_no_changes(obsctl, str(tmp_path / "source"))
    # The monitoring account's default credentials see none of it.
    assert oam.list_links()["Items"] == []
