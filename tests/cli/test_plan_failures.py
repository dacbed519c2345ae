"""With --format markdown or json, a plan that fails is still a document on stdout (the PR
always gets a comment saying why); stderr has the error and the exit code is 1."""

from __future__ import annotations

import json

from tests.render.commonmark import OWN_ELEMENTS, rendered


def test_config_error_as_markdown_names_each_place(obsctl, write_config):
    path = write_config("stack: s\nalarms:\n  x: {metric: {namespace: N, name: M, stat: median}}\n")
    result = obsctl("plan", path, "--format", "markdown")
    assert result.exit_code == 1
    assert result.stdout.startswith("### ❌ obsctl plan failed\n")
    assert f"{path}:3:" in result.stdout and "unknown statistic 'median'" in result.stdout
    _, html = rendered(result.stdout)
    assert set(html.tags) <= OWN_ELEMENTS and not html.comments
    assert f"{path}:3:" in html.text
    assert "error in the configuration" in result.stderr
    assert sum(result.calls.values()) == 0


def test_refused_prune_as_json_is_a_failure_document(obsctl, write_config, boto):
    many = "".join(f"  t{i}: {{}}\n" for i in range(25))
    path = write_config(f"stack: s\ntopics:\n{many}")
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    emptied = write_config("stack: s\ntopics: {}\n")
    result = obsctl("plan", emptied, "--prune", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["error"] is True and document["format_version"] == "2.1"
    [problem] = document["errors"]
    first, *listed = problem["message"].splitlines()
    assert first.startswith("stack 's': refusing to delete 25 of 25 owned resources")
    assert first.endswith("It would delete:")
    assert listed == [f"  - topics/{name}" for name in sorted(f"t{i}" for i in range(25))[:20]] + [
        "  ... and 5 more"]
    assert problem["file"] is None
    assert "refusing to delete" in result.stderr


def test_text_format_keeps_failures_on_stderr_only(obsctl, write_config):
    path = write_config("stack: s\ntopics: {a: {display_name: 5}}\n")
    result = obsctl("plan", path)
    assert result.exit_code == 1 and result.stdout == ""
    assert "display_name" in result.stderr


def test_no_color_and_pipes_print_no_escape_sequences(obsctl, write_config):
    path = write_config("stack: s\ntopics: {a: {}}\n")
    for flags in ((), ("--no-color",)):
        result = obsctl("plan", path, *flags)
        assert result.exit_code == 0 and "+ topics/a" in result.stdout
        assert "\x1b" not in result.stdout
