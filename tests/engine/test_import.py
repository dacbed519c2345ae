"""`obsctl import`: live resources created by hand -> YAML -> plan empty (round trip)."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

STACK = "stack: adopted\ntags: {team: ml}\ntopics:\n  oncall: {}\n"


def make_by_hand(boto):
    """An existing setup, as a team would have made it in the console."""
    sns = boto("sns")
    arn = sns.create_topic(Name="legacy-alerts", Attributes={"DisplayName": "Legacy"})["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="ops@example.com")
    logs = boto("logs")
    logs.create_log_group(logGroupName="/legacy/app", tags={"team": "ml", "tier": "gold"})
    logs.put_retention_policy(logGroupName="/legacy/app", retentionInDays=14)
    logs.put_metric_filter(logGroupName="/legacy/app", filterName="errors", filterPattern="ERROR",
                           metricTransformations=[{"metricNamespace": "Legacy", "metricName": "Errors",
                                                   "metricValue": "1", "defaultValue": 0.0}])
    logs.create_log_group(logGroupName="/other/app")


def test_import_writes_short_yaml_and_adopt_makes_the_plan_empty(obsctl, write_config, boto, tmp_path):
    make_by_hand(boto)
    config = write_config(STACK, name="monitoring/stack.yaml")
    for kind, prefix in (("topics", "legacy-"), ("log_groups", "/legacy/")):
        out = str(tmp_path / "monitoring" / f"imported-{kind}.yaml")
        result = obsctl("import", config, "--kind", kind, "--name-prefix", prefix,
                        "--output", out, "--adopt")
        assert result.exit_code == 0, result.stderr
        assert result.writes > 0  # the ownership tags, nothing else

    topics = YAML(typ="safe").load(Path(tmp_path / "monitoring/imported-topics.yaml").read_text())
    assert topics["topics"] == {"legacy-alerts": {
        "display_name": "Legacy",
        "subscriptions": [{"protocol": "email", "endpoint": "ops@example.com"}]}}
    groups = YAML(typ="safe").load(Path(tmp_path / "monitoring/imported-log_groups.yaml").read_text())
    assert groups["log_groups"] == {"/legacy/app": {
        "retention_days": 14, "tags": {"tier": "gold"},  # `team: ml` comes from the stack
        "metric_filters": {"errors": {"pattern": "ERROR", "metric": {
            "namespace": "Legacy", "name": "Errors", "value": "1", "default_value": 0}}}}}

    plan = obsctl("plan", str(tmp_path / "monitoring"), "--detailed-exitcode")
    assert plan.exit_code == 2  # only the topic `oncall` of the stack itself is new
    assert "Plan: 1 to create, 0 to update, 0 to delete." in plan.stdout
    assert "legacy" not in plan.stdout


def test_import_without_adopt_changes_nothing_and_plan_shows_only_ownership(obsctl, write_config, boto, tmp_path):
    make_by_hand(boto)
    config = write_config("stack: adopted\n", name="monitoring/stack.yaml")
    out = str(tmp_path / "monitoring" / "imported.yaml")
    result = obsctl("import", config, "--kind", "topics", "--output", out)
    assert result.exit_code == 0, result.stderr
    assert result.writes == 0
    plan = obsctl("plan", str(tmp_path / "monitoring"), "--adopt", "topics/*")
    assert "~ tags.obsctl:stack: (none) -> \"adopted\"" in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to delete." in plan.stdout


def test_import_to_stdout_with_a_new_stack(obsctl, boto):
    make_by_hand(boto)
    result = obsctl("import", "--kind", "log_groups", "--stack", "fresh", "--name-prefix", "/other/")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Imported by `obsctl import --kind log_groups --name-prefix /other/`")
    assert YAML(typ="safe").load(result.stdout) == {"stack": "fresh", "log_groups": {"/other/app": {}}}


def test_import_refuses_another_stacks_resources_and_unknown_kinds(obsctl, boto):
    boto("sns").create_topic(Name="theirs", Tags=[{"Key": "obsctl:stack", "Value": "other"}])
    refused = obsctl("import", "--kind", "topics", "--stack", "mine")
    assert refused.exit_code == 1 and "owned by other stacks" in refused.stderr
    unknown = obsctl("import", "--kind", "widgets", "--stack", "mine")
    assert unknown.exit_code == 1 and "expected one of" in unknown.stderr
    nested = obsctl("import", "--kind", "metric_filters", "--stack", "mine")
    assert nested.exit_code == 1 and "--kind log_groups" in nested.stderr
