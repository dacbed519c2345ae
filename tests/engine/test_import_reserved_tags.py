"""`obsctl import` leaves out the tags a config may not write (AWS's `aws:` tags, obsctl's
`obsctl:` ones), so what it writes validates."""

from __future__ import annotations

from ruamel.yaml import YAML


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
