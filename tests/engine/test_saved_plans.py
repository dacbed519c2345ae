"""`plan --out FILE` then `apply FILE`: exactly the saved changes, or a refusal with zero
writes when the config or live state moved in between."""

from __future__ import annotations

import json

import jsonschema

from tests.render.test_renderers import PLAN_SCHEMA

CONFIG = """
stack: test
topics:
  alerts: {display_name: Alerts}
  other: {}
"""


def test_saved_plan_applies_exactly_and_is_valid_json(obsctl, write_config, tmp_path, boto):
    path = write_config(CONFIG)
    planfile = str(tmp_path / "plan.json")
    assert obsctl("plan", path, "--out", planfile).exit_code == 0
    document = json.loads(open(planfile).read())
    jsonschema.validate(document, PLAN_SCHEMA)
    assert {c["address"] for c in document["changes"]} == {"topics/alerts", "topics/other"}

    applied = obsctl("apply", planfile)
    assert applied.exit_code == 0, applied.stderr
    assert "Apply complete: 2 created" in applied.stdout
    assert obsctl("plan", path, "--detailed-exitcode").exit_code == 0


def test_stale_after_out_of_band_change(obsctl, write_config, tmp_path, boto):
    path = write_config(CONFIG)
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    changed = write_config(CONFIG.replace("Alerts", "Alerts v2"), name="changed.yaml")
    planfile = str(tmp_path / "plan.json")
    assert obsctl("plan", changed, "--out", planfile).exit_code == 0

    sns = boto("sns")
    arn = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":alerts"))
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Console edit")

    refused = obsctl("apply", planfile)
    assert refused.exit_code == 1
    assert "is stale" in refused.stderr and "topics/alerts changed in AWS" in refused.stderr
    assert refused.writes == 0
    name = sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"]
    assert name == "Console edit"


def test_stale_after_config_edit(obsctl, write_config, tmp_path):
    path = write_config(CONFIG)
    planfile = str(tmp_path / "plan.json")
    assert obsctl("plan", path, "--out", planfile).exit_code == 0
    write_config(CONFIG.replace("other: {}", "other: {display_name: New}"))
    refused = obsctl("apply", planfile)
    assert refused.exit_code == 1
    assert "the config of stack 'test' changed" in refused.stderr
    assert refused.writes == 0


def test_stale_when_a_planned_create_appeared_meanwhile(obsctl, write_config, tmp_path, boto):
    path = write_config(CONFIG)
    planfile = str(tmp_path / "plan.json")
    assert obsctl("plan", path, "--out", planfile).exit_code == 0
    boto("sns").create_topic(Name="other")
    refused = obsctl("apply", planfile)
    assert refused.exit_code == 1
    assert "topics/other changed in AWS" in refused.stderr


def test_not_a_saved_plan(obsctl, tmp_path):
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"format_version": "1.0"}')
    result = obsctl("apply", str(bogus))
    assert result.exit_code == 1
    assert "is not a saved obsctl plan" in result.stderr
