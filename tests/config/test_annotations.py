"""`validate --format github`: diagnostics as GitHub workflow commands, escaped so that no
config text can end a command early or start another."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load_stacks
from reconciler.config.annotations import escape_data, escape_property, github_annotations
from reconciler.diagnostics import ConfigError, Diagnostic, Location
from reconciler.kinds import KINDS

HOSTILE = ["100%", "a\r\nb", "%0A", "::error::x", "a,b:c", "%25%", "\n::warning::injected",
           "\u2028", ""]


def runner_unescape(text: str, mappings: list[tuple[str, str]]) -> str:
    """What the Actions runner does to a command's data or property (ActionCommand.cs):
    every escape but `%25` first, `%25` last."""
    for token, escaped in mappings:
        text = text.replace(escaped, token)
    return text.replace("%25", "%")


DATA = [("\r", "%0D"), ("\n", "%0A")]
PROPERTY = DATA + [(":", "%3A"), (",", "%2C")]


def test_annotation_of_a_diagnostic():
    diagnostic = Diagnostic("widgets.w.size: input should be a valid integer, got 'x'",
                            Location("stacks/prod.yaml", 4, 5), "did you mean 'sizes'?")
    assert github_annotations([diagnostic]) == (
        "::error file=stacks/prod.yaml,line=4,col=5::widgets.w.size: input should be a valid "
        "integer, got 'x' (did you mean 'sizes'?)\n")


def test_a_diagnostic_without_a_location_has_no_properties():
    assert github_annotations([Diagnostic("no files found")]) == "::error::no files found\n"


def test_no_diagnostics_no_output():
    assert github_annotations([]) == ""


def test_sorted_by_file_line_and_column():
    found = github_annotations([Diagnostic("c", Location("b.yaml", 1, 1)),
                                Diagnostic("b", Location("a.yaml", 2, 1)),
                                Diagnostic("a", Location("a.yaml", 1, 7)),
                                Diagnostic("none")])
    assert [line.rsplit("::", 1)[1] for line in found.splitlines()] == ["none", "a", "b", "c"]


def test_message_escapes():
    assert escape_data("50% of\r\nall: a,b") == "50%25 of%0D%0Aall: a,b"


def test_property_escapes():
    assert escape_property("C:\\a,b%\n") == "C%3A\\a%2Cb%25%0A"


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_in_its_command_and_comes_back_unchanged(text):
    # The runner reads a command per line, its properties up to the first `::` after them
    # (so `:` is escaped there) and the message from there to the end of the line.
    [line] = github_annotations([Diagnostic(text, Location(text, 1, 2))]).removesuffix(
        "\n").split("\n")
    assert "\r" not in line
    properties, message = line.removeprefix("::error ").split("::", 1)
    file = properties.split(",")[0].removeprefix("file=")
    assert runner_unescape(file, PROPERTY) == text
    assert runner_unescape(message, DATA) == text


def test_the_diagnostics_of_a_file_with_every_kind_of_error():
    path = str(Path(__file__).parents[1] / "corpus" / "stack-every-kind-of-error-at-once.yaml")
    with pytest.raises(ConfigError) as raised:
        load_stacks([path], KINDS)
    lines = github_annotations(raised.value.diagnostics).splitlines()
    where = escape_property(path)
    assert [line.split("::")[1] for line in lines] == [
        f"error file={where},line={line},col={col}"
        for line, col in [(15, 5), (21, 23), (26, 5), (32, 34)]]
    assert lines[1].endswith("::topic 'ml-oncal' is not defined in `topics` "
                             "(did you mean 'topic:ml-oncall'?)")
