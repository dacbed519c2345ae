"""`obsctl import` of composite alarms, saved queries and subscription filters (with their log group): resources made
by hand with plain boto3 -> YAML -> `obsctl plan` empty (or exactly the expected changes)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from reconciler.importer import _dump, _flowing
from reconciler.kinds.base import ImportRefs
from reconciler.kinds.composite_alarms import composite_config
from reconciler.kinds.queries import inexpressible, query_config
from reconciler.kinds.subscription_filters import filter_config
from tests.helpers import addresses, assert_no_changes, create_log_destinations, plan_json, summary

ACCOUNT = "123456789012"
OWNED = [{"Key": "obsctl:stack", "Value": "adopted"}, {"Key": "team", "Value": "ml"}]
STACK = "stack: adopted\ntags: {team: ml}\ntopics:\n  oncall: {}\n"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/cwl-to-streams"
FIREHOSE = f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/archive"
KINESIS = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/errors"


def load(path) -> dict:
    return YAML(typ="safe").load(Path(path).read_text())


def run_import(obsctl, config, kind, out, *extra):
    result = obsctl("import", config, "--kind", kind, "--output", str(out), *extra)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result



# --- composite alarms ------------------------------------------------------------------------

def make_alarms_by_hand(boto) -> str:
    """Metric alarms, and composites over them (one over another composite); the stack's
    topic `oncall` exists already, owned by the stack. Returns its ARN."""
    topic = boto("sns").create_topic(Name="oncall", Tags=OWNED)["TopicArn"]
    cloudwatch = boto("cloudwatch")
    for name, metric in (("legacy-latency", "ModelLatency"), ("legacy-errors", "Invocation5XXErrors"),
                         ("legacy-maintenance", "Maintenance")):
        cloudwatch.put_metric_alarm(AlarmName=name, Namespace="AWS/SageMaker", MetricName=metric,
                                    Statistic="Average", Period=60, EvaluationPeriods=1,
                                    Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    cloudwatch.put_composite_alarm(
        AlarmName="legacy-degraded", AlarmDescription="slow or failing",
        AlarmRule="ALARM(legacy-latency)\n  OR ALARM( legacy-errors )",
        AlarmActions=[topic], Tags=[{"Key": "team", "Value": "ml"}, {"Key": "owner", "Value": "ds"}])
    cloudwatch.put_composite_alarm(
        AlarmName="legacy-down", AlarmRule='ALARM("legacy-degraded") AND NOT OK(legacy-errors)',
        AlarmActions=[topic], OKActions=[f"arn:aws:sns:us-east-1:{ACCOUNT}:elsewhere"],
        ActionsEnabled=False, ActionsSuppressor="legacy-maintenance",
        ActionsSuppressorWaitPeriod=120, ActionsSuppressorExtensionPeriod=60)
    return topic


def test_composite_alarms_round_trip_with_topic_refs_and_composite_children(obsctl, write_config,
                                                                             boto, tmp_path):
    make_alarms_by_hand(boto)
    write_config(STACK, name="monitoring/stack.yaml")
    config = str(tmp_path / "monitoring")
    # A rule's children must be defined in the config: the metric alarms come in first, and
    # PATH is the directory, so that the composites' config (and --adopt) sees them.
    run_import(obsctl, config, "alarms", tmp_path / "monitoring/alarms.yaml",
               "--name-prefix", "legacy-", "--adopt")
    out = tmp_path / "monitoring/composites.yaml"
    result = run_import(obsctl, config, "composite_alarms", out, "--name-prefix", "legacy-", "--adopt")
    assert result.calls["cloudwatch.TagResource"] == 2  # the ownership tags, nothing else
    assert result.writes == 2, result.calls

    assert load(out) == {"stack": "adopted", "composite_alarms": {
        "legacy-degraded": {
            "description": "slow or failing",
            "rule": "ALARM(legacy-latency) OR ALARM(legacy-errors)",  # as obsctl sends it
            "actions": {"alarm": ["topic:oncall"]},
            "tags": {"owner": "ds"}},  # `team: ml` comes from the stack
        "legacy-down": {
            "rule": 'ALARM("legacy-degraded") AND NOT OK(legacy-errors)',
            "actions": {"alarm": ["topic:oncall"],
                        "ok": [f"arn:aws:sns:us-east-1:{ACCOUNT}:elsewhere"]},  # not a config topic
            "actions_enabled": False,
            "actions_suppressor": {"alarm": "legacy-maintenance", "wait_period": 120,
                                   "extension_period": 60}},
    }}
    assert_no_changes(obsctl, str(tmp_path / "monitoring"))


def test_composite_import_without_adopt_leaves_only_ownership_to_plan(obsctl, write_config, boto,
                                                                      tmp_path):
    make_alarms_by_hand(boto)
    boto("cloudwatch").put_composite_alarm(
        AlarmName="legacy-owned", AlarmRule="ALARM(legacy-down) OR ALARM(legacy-latency)",
        Tags=OWNED)
    write_config(STACK, name="monitoring/stack.yaml")
    config = str(tmp_path / "monitoring")
    run_import(obsctl, config, "alarms", tmp_path / "monitoring/alarms.yaml",
               "--name-prefix", "legacy-", "--adopt")
    result = run_import(obsctl, config, "composite_alarms", tmp_path / "monitoring/composites.yaml")
    assert result.writes == 0
    imported = load(tmp_path / "monitoring/composites.yaml")["composite_alarms"]
    assert imported["legacy-owned"] == {"rule": "ALARM(legacy-down) OR ALARM(legacy-latency)"}

    doc = plan_json(obsctl, str(tmp_path / "monitoring"), "--detailed-exitcode", exit_codes=(1,))
    # The already-owned composite is exact; the two untagged ones are conflicts until adopted.
    assert addresses(doc, "conflict") == ["composite_alarms/legacy-degraded",
                                          "composite_alarms/legacy-down"]
    assert doc["summary"] == summary(conflict=2)
    adopted = obsctl("apply", str(tmp_path / "monitoring"), "--auto-approve",
                     "--adopt", "composite_alarms/legacy-*")
    assert adopted.exit_code == 0, adopted.stdout + adopted.stderr
    assert adopted.calls["cloudwatch.PutCompositeAlarm"] == 0  # only tags changed
    assert_no_changes(obsctl, str(tmp_path / "monitoring"))


# --- saved queries ----------------------------------------------------------------------------

MULTILINE = "fields @timestamp, @message\n| filter @message like /(?i)error/\n| sort @timestamp desc"


def test_saved_queries_round_trip_and_adopt_writes_nothing(obsctl, write_config, boto, tmp_path):
    logs = boto("logs")
    logs.put_query_definition(name="legacy-errors", queryString=MULTILINE + "\n",
                              logGroupNames=["/ml/fraud", "/ml/churn"])
    logs.put_query_definition(name="legacy-count", queryString="stats count(*) by bin(1h)",
                              logGroupNames=["/ml/churn"])
    logs.put_query_definition(name="adhoc", queryString="fields @message")  # not selected
    config = write_config("stack: adopted\nprune: {queries: [legacy-*]}\n",
                          name="monitoring/stack.yaml")
    out = tmp_path / "monitoring/queries.yaml"
    result = run_import(obsctl, config, "queries", out, "--name-prefix", "legacy-", "--adopt")
    assert result.writes == 0  # query definitions have no tags: there is nothing to record

    assert load(out) == {"stack": "adopted", "queries": {
        "legacy-count": {"log_groups": ["/ml/churn"], "query": "stats count(*) by bin(1h)"},
        "legacy-errors": {"log_groups": ["/ml/churn", "/ml/fraud"], "query": MULTILINE}}}
    assert "    query: |-\n      fields @timestamp, @message\n" in out.read_text()
    assert_no_changes(obsctl, str(tmp_path / "monitoring"))


def test_imported_query_outside_the_prune_patterns_is_reported_by_adopt(obsctl, write_config, boto,
                                                                         tmp_path):
    boto("logs").put_query_definition(name="adhoc-count", queryString="stats count(*)",
                                      logGroupNames=["/ml/churn"])
    config = write_config("stack: adopted\nprune: {queries: [legacy-*]}\n",
                          name="monitoring/stack.yaml")
    out = tmp_path / "monitoring/queries.yaml"
    result = obsctl("import", config, "--kind", "queries", "--output", str(out), "--adopt")
    assert result.exit_code == 1
    assert "! queries/adhoc-count: not adopted" in result.stderr
    assert result.writes == 0
    plan = obsctl("plan", str(tmp_path / "monitoring"), "--detailed-exitcode")
    assert plan.exit_code != 0 and "adhoc-count" in plan.stdout + plan.stderr


def test_queries_the_config_cannot_express_are_refused(obsctl, boto, tmp_path):
    logs = boto("logs")
    logs.put_query_definition(name="sql-errors", queryString="SELECT * FROM `/ml/churn`",
                              queryLanguage="SQL", logGroupNames=["/ml/churn"])
    logs.put_query_definition(name="sql-anywhere", queryString="fields @message")
    refused = obsctl("import", "--kind", "queries", "--stack", "mine", "--name-prefix", "sql-")
    assert refused.exit_code == 1
    assert "2 queries cannot be imported" in refused.stderr
    assert "queries/sql-errors cannot be written as a `queries` entry: query language SQL" \
        in refused.stderr
    assert "queries/sql-anywhere cannot be written as a `queries` entry: no log groups" \
        in refused.stderr
    for _ in range(2):
        logs.put_query_definition(name="twin", queryString="fields @message", logGroupNames=["/a"])
    twins = obsctl("import", "--kind", "queries", "--stack", "mine", "--name-prefix", "twin")
    assert twins.exit_code == 1 and "share this name" in twins.stderr
    # Outside the selection, neither stops an import.
    fine = obsctl("import", "--kind", "queries", "--stack", "mine", "--name-prefix", "nothing-")
    assert fine.exit_code == 0, fine.stderr
    assert YAML(typ="safe").load(fine.stdout) == {"stack": "mine"}


# --- subscription filters -----------------------------------------------------------------------

@pytest.fixture
def destinations(boto):
    create_log_destinations(boto, ROLE)


def make_filters_by_hand(boto):
    logs = boto("logs")
    logs.create_log_group(logGroupName="/legacy/app", tags={"team": "ml", "tier": "gold"})
    logs.put_retention_policy(logGroupName="/legacy/app", retentionInDays=14)
    logs.put_metric_filter(logGroupName="/legacy/app", filterName="errors", filterPattern="ERROR",
                           metricTransformations=[{"metricNamespace": "Legacy", "metricName": "Errors",
                                                   "metricValue": "1"}])
    logs.put_subscription_filter(logGroupName="/legacy/app", filterName="to-archive", filterPattern=" ",
                                 destinationArn=FIREHOSE, roleArn=ROLE)
    logs.put_subscription_filter(logGroupName="/legacy/app", filterName="errors-to-stream",
                                 filterPattern="?ERROR ?Exception", destinationArn=KINESIS,
                                 roleArn=ROLE, distribution="Random")
    logs.create_log_group(logGroupName="/legacy/quiet")  # no filters: not imported
    logs.create_log_group(logGroupName="/elsewhere/app")  # outside the prefix
    logs.put_subscription_filter(logGroupName="/elsewhere/app", filterName="to-archive",
                                 filterPattern="", destinationArn=FIREHOSE, roleArn=ROLE)


def test_subscription_filters_come_with_their_log_group_and_adopt_owns_it(obsctl, write_config, boto,
                                                                          tmp_path, destinations):
    make_filters_by_hand(boto)
    config = write_config(STACK.replace("topics:\n  oncall: {}\n", ""), name="monitoring/stack.yaml")
    out = tmp_path / "monitoring/groups.yaml"
    result = run_import(obsctl, config, "log_groups", out, "--name-prefix", "/legacy/", "--adopt")
    assert result.calls["logs.DescribeSubscriptionFilters"] == 2  # one per imported group
    assert result.writes == 2  # the owner tags of the two groups, nothing else

    assert load(out) == {"stack": "adopted", "log_groups": {
        "/legacy/app": {
            "retention_days": 14, "tags": {"tier": "gold"},
            "metric_filters": {"errors": {"pattern": "ERROR", "metric": {
                "namespace": "Legacy", "name": "Errors", "value": "1"}}},
            "subscription_filters": {
                "errors-to-stream": {"pattern": "?ERROR ?Exception", "destination_arn": KINESIS,
                                     "role_arn": ROLE, "distribution": "Random"},
                "to-archive": {"pattern": "", "destination_arn": FIREHOSE, "role_arn": ROLE}}},
        "/legacy/quiet": {"retention_days": "never"}}}
    assert_no_changes(obsctl, str(tmp_path / "monitoring"))


def test_subscription_filters_alone_point_at_the_log_group_import(obsctl, boto, destinations):
    make_filters_by_hand(boto)
    refused = obsctl("import", "--kind", "subscription_filters", "--stack", "mine")
    assert refused.exit_code == 1
    assert "obsctl import --kind log_groups" in refused.stderr
    assert refused.calls["logs.DescribeSubscriptionFilters"] == 0


# --- pure helpers -------------------------------------------------------------------------------

def test_config_entries_leave_aws_defaults_out():
    assert filter_config({"log_group": "/g", "pattern": "", "destination_arn": FIREHOSE,
                          "role_arn": ROLE, "distribution": "ByLogStream"}) == {
        "pattern": "", "destination_arn": FIREHOSE, "role_arn": ROLE}
    refs = ImportRefs(scope=None, topic_names={"arn:topic": "oncall"}, stack_tags={})
    assert composite_config({"rule": "ALARM(a)", "actions_enabled": True, "alarm_actions": ["arn:topic"],
                             "ok_actions": [], "insufficient_data_actions": [], "tags": {}},
                            {}, refs) == {"rule": "ALARM(a)", "actions": {"alarm": ["topic:oncall"]}}
    spec = {"log_groups": ["/a"], "query": "fields @message", "language": "CWLI"}
    assert query_config(spec) == {"log_groups": ["/a"], "query": "fields @message"}
    assert inexpressible(spec) is None
    assert "PPL" in inexpressible({**spec, "language": "PPL"})
    assert type(query_config({**spec, "query": "a\nb"})["query"]).__name__ == "LiteralScalarString"
    assert type(query_config({**spec, "query": "a\r\nb"})["query"]) is str  # a block would lose \r


def test_flow_mappings_quote_strings_that_start_with_an_indicator():
    # ruamel writes `{pattern: ?ERROR}` plain, which the config loader (libyaml) cannot read.
    text = _dump(CommentedMap(x=_flowing({"pattern": "?ERROR ?Exception", "value": ":1"})), "k", "")
    assert 'x: {pattern: "?ERROR ?Exception", value: ":1"}' in text
    assert yaml.load(text, Loader=yaml.CSafeLoader) == {"x": {"pattern": "?ERROR ?Exception",
                                                              "value": ":1"}}
    long = {"destination_arn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/" + "a" * 40}
    assert "{" not in _dump(CommentedMap(x=_flowing(long)), "k", "")  # too long for one line
