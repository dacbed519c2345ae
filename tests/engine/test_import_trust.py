"""`obsctl import` writes what a person would write, for this stack only, and never
overwrites a file: no internal tags, the stack's `defaults` folded out, `retention_days:
never` kept, resources of other stacks skipped (and named on stderr), never a whole kind
refused because of them."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from tests.helpers import apply_ok, assert_no_changes

OWNED = [{"Key": "obsctl:stack", "Value": "adopted"}]


def load(path) -> dict:
    return YAML(typ="safe").load(Path(path).read_text())


def stats_start(stderr: str) -> int:
    return stderr.index("api calls:")


# --- never overwrite --------------------------------------------------------------------------

def test_output_never_overwrites_an_existing_file(obsctl, boto, tmp_path):
    boto("sns").create_topic(Name="legacy")
    out = tmp_path / "topics.yaml"
    out.write_text("# hand-written, precious\n")
    refused = obsctl("import", "--kind", "topics", "--stack", "mine", "--output", str(out))
    assert refused.exit_code == 1
    assert refused.stderr[:stats_start(refused.stderr)].strip().splitlines() == [
        f"error: {out} exists; obsctl import never overwrites a file: choose another --output, "
        "or pass --force"]
    assert refused.calls.total() == 0  # refused before reading AWS
    assert out.read_text() == "# hand-written, precious\n"

    forced = obsctl("import", "--kind", "topics", "--stack", "mine", "--output", str(out), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert load(out) == {"stack": "mine", "topics": {"legacy": {}}}


# --- what a person would write ------------------------------------------------------------------

def test_never_writes_the_last_applied_marker(obsctl, write_config, tmp_path):
    config = write_config("stack: mine\ntopics:\n  alerts: {display_name: Alerts, "
                          "tags: {severity: page}}\n", name="monitoring/stack.yaml")
    apply_ok(obsctl, config)
    out = tmp_path / "imported.yaml"
    result = obsctl("import", "--kind", "topics", "--stack", "mine", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    assert load(out)["topics"] == {"alerts": {"display_name": "Alerts",
                                              "tags": {"severity": "page"}}}
    assert "obsctl:" not in out.read_text()


def test_stack_defaults_are_folded_out_and_adopt_leaves_the_plan_empty(obsctl, write_config, boto,
                                                                        tmp_path):
    topic = boto("sns").create_topic(Name="oncall", Tags=OWNED)["TopicArn"]
    cloudwatch = boto("cloudwatch")
    common = dict(Namespace="App", MetricName="Errors", Statistic="Sum", Period=60,
                  EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    cloudwatch.put_metric_alarm(AlarmName="legacy-as-default", TreatMissingData="notBreaching",
                                AlarmActions=[topic], **common)
    cloudwatch.put_metric_alarm(AlarmName="legacy-aws-default", **common)  # missing, no actions
    cloudwatch.put_metric_alarm(AlarmName="legacy-own", TreatMissingData="breaching",
                                AlarmActions=[topic], OKActions=[topic], **common)
    config = write_config("""\
        stack: adopted
        topics:
          oncall: {}
        defaults:
          alarm:
            treat_missing_data: notBreaching
            actions: {alarm: [topic:oncall]}
        """, name="monitoring/stack.yaml")
    out = tmp_path / "monitoring/alarms.yaml"
    result = obsctl("import", config, "--kind", "alarms", "--name-prefix", "legacy-",
                    "--output", str(out), "--adopt")
    assert result.exit_code == 0, result.stdout + result.stderr

    alarms = load(out)["alarms"]
    assert "treat_missing_data" not in alarms["legacy-as-default"]
    assert "actions" not in alarms["legacy-as-default"]
    assert alarms["legacy-aws-default"]["treat_missing_data"] == "missing"
    assert alarms["legacy-aws-default"]["actions"] == {"alarm": []}
    assert alarms["legacy-own"]["treat_missing_data"] == "breaching"
    assert alarms["legacy-own"]["actions"] == {"ok": ["topic:oncall"]}
    assert_no_changes(obsctl, str(tmp_path / "monitoring"))


def test_log_group_without_retention_imports_as_never(obsctl, write_config, boto, tmp_path):
    boto("logs").create_log_group(logGroupName="/legacy/forever")
    config = write_config("stack: adopted\n", name="monitoring/stack.yaml")
    out = tmp_path / "monitoring/groups.yaml"
    result = obsctl("import", config, "--kind", "log_groups", "--output", str(out), "--adopt")
    assert result.exit_code == 0, result.stderr
    assert load(out)["log_groups"] == {"/legacy/forever": {"retention_days": "never"}}
    assert_no_changes(obsctl, str(tmp_path / "monitoring"))


# --- this stack's resources only ------------------------------------------------------------------

def test_resources_tagged_by_another_stack_are_skipped_not_refused(obsctl, boto):
    sns = boto("sns")
    sns.create_topic(Name="team-theirs", Tags=[{"Key": "obsctl:stack", "Value": "other"}])
    sns.create_topic(Name="team-free")
    sns.create_topic(Name="team-mine", Tags=[{"Key": "obsctl:stack", "Value": "mine"}])
    result = obsctl("import", "--kind", "topics", "--stack", "mine", "--name-prefix", "team-")
    assert result.exit_code == 0, result.stderr
    assert YAML(typ="safe").load(result.stdout)["topics"] == {"team-free": {}, "team-mine": {}}
    assert "skipped topics/team-theirs: owned by stack other (tag obsctl:stack)" in result.stderr


OTHER_STACK = """\
stack: theirs
prune:
  dashboards: ["b-*"]
  queries: ["b-*"]
"""


def test_untaggable_names_of_another_stacks_prune_patterns_are_skipped(obsctl, write_config, boto,
                                                                        tmp_path):
    body = ('{"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 2,'
            ' "properties": {"markdown": "hi"}}]}')
    cloudwatch = boto("cloudwatch")
    for name in ("b-overview", "legacy-overview"):
        cloudwatch.put_dashboard(DashboardName=name, DashboardBody=body)
    logs = boto("logs")
    logs.put_query_definition(name="legacy-count", queryString="stats count(*)",
                              logGroupNames=["/ml/churn"])
    # Theirs, and one the config could not even express: it must not stop this import.
    logs.put_query_definition(name="b-sql", queryString="SELECT * FROM `/ml/churn`",
                              queryLanguage="SQL", logGroupNames=["/ml/churn"])
    write_config(OTHER_STACK, name="monitoring/theirs.yaml")
    write_config("stack: mine\n", name="monitoring/mine.yaml")
    monitoring = str(tmp_path / "monitoring")

    for kind, kept, skipped in (("dashboards", "legacy-overview", "b-overview"),
                                ("queries", "legacy-count", "b-sql")):
        out = tmp_path / "monitoring" / f"imported-{kind}.yaml"
        result = obsctl("import", monitoring, "--stack", "mine", "--kind", kind,
                        "--output", str(out))
        assert result.exit_code == 0, result.stderr
        assert list(load(out)[kind]) == [kept]
        assert (f"skipped {kind}/{skipped}: matches prune.{kind} of stack theirs"
                in result.stderr)
    assert_no_changes(obsctl, monitoring)


# --- folding defaults, pure logic -----------------------------------------------------------------

def _fold(entry: dict, default: dict) -> dict:
    from reconciler.importer import fold_defaults
    from reconciler.kinds import KINDS

    return fold_defaults(entry, default, KINDS["alarms"], "a")


ALARM = {"metric": {"namespace": "App", "name": "Errors", "stat": "Sum", "period": 60},
         "when": "> 1"}


def test_fold_keeps_what_differs_and_spells_out_aws_defaults():
    default = {"treat_missing_data": "notBreaching", "evaluation_periods": 3,
               "actions": {"alarm": ["arn:aws:sns:us-east-1:123456789012:a"], "ok": []},
               "tags": {"team": "ml"}}
    entry = {**ALARM, "evaluation_periods": 3, "actions": {"ok": ["topic:x"]},
             "tags": {"team": "ml", "tier": "gold"}}
    assert _fold(entry, default) == {
        **ALARM, "treat_missing_data": "missing",
        "actions": {"alarm": [], "ok": ["topic:x"]}, "tags": {"tier": "gold"}}
    assert _fold(entry, {}) is entry


def test_fold_refuses_what_the_defaults_cannot_leave_alone():
    import pytest

    from reconciler.diagnostics import ObsctlError

    # A default tag cannot be taken away by an entry: the alarm without it is not writable.
    with pytest.raises(ObsctlError, match="defaults.alarm"):
        _fold(ALARM, {"tags": {"severity": "page"}})
