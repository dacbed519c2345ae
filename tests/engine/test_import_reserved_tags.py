"""`obsctl import` leaves out the tags a config may not write (AWS's `aws:` tags, obsctl's
`obsctl:` ones), so what it writes validates."""

from __future__ import annotations

from ruamel.yaml import YAML

from tests.helpers import assert_converged, without_marker


def test_imported_topic_keeps_only_tags_the_config_may_write(obsctl, write_config, boto, tmp_path):
    boto("sns").create_topic(Name="legacy-alerts", Tags=[
        {"Key": "aws:cloudformation:stack-name", "Value": "legacy"},
        {"Key": "obsctl:applied", "Value": "0123456789abcdef"},
        {"Key": "owner", "Value": "ds"}])
    config = write_config("stack: adopted\n", name="monitoring/stack.yaml")
    out = tmp_path / "monitoring" / "topics.yaml"
    result = obsctl("import", config, "--kind", "topics", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    imported = YAML(typ="safe").load(out.read_text())
    assert imported["topics"] == {"legacy-alerts": {"tags": {"owner": "ds"}}}
    assert obsctl("validate", str(tmp_path / "monitoring")).exit_code == 0


def test_aws_tags_are_no_diff_and_never_removed(obsctl, write_config, boto, tmp_path):
    # A topic CloudFormation made carries aws: tags, which only AWS may remove: adopting it
    # leaves them alone, and the plan after is empty.
    sns = boto("sns")
    arn = sns.create_topic(Name="legacy-alerts", Tags=[
        {"Key": "aws:cloudformation:stack-name", "Value": "legacy"},
        {"Key": "owner", "Value": "ds"}])["TopicArn"]
    config = write_config("stack: adopted\n", name="monitoring/stack.yaml")
    out = tmp_path / "monitoring" / "topics.yaml"
    adopted = obsctl("import", config, "--kind", "topics", "--output", str(out), "--adopt")
    assert adopted.exit_code == 0, adopted.stderr
    assert adopted.calls["sns.UntagResource"] == 0
    assert_converged(obsctl, str(tmp_path / "monitoring"))
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert without_marker(tags) == {"aws:cloudformation:stack-name": "legacy", "owner": "ds",
                                    "obsctl:stack": "adopted"}
