"""The loader: safe reading of hostile YAML, plain data, and the location of every key."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from reconciler.config import compose_yaml, loader, plain_yaml, yaml_scalars
from reconciler.config.loader import load_documents
from reconciler.diagnostics import ConfigError, Location


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    # Relative paths, so locations read exactly as a user would see them.
    monkeypatch.chdir(tmp_path)


def write(name: str, text: str | bytes) -> str:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text))
    return name


def load_one(text: str, name: str = "f.yaml"):
    [document] = load_documents([write(name, text)])
    return document


def errors(*paths: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_documents(list(paths))
    return [str(d) for d in raised.value.diagnostics]


def error_of(text: str | bytes, name: str = "f.yaml") -> str:
    started = time.monotonic()
    [message] = errors(write(name, text))
    assert time.monotonic() - started < 2
    return message


# --- data and sources ---------------------------------------------------------------------

def test_data_is_plain_python_and_sources_point_at_keys():
    document = load_one("""\
        stack: s
        alarms:
          x:
            metric: {namespace: N, stat: p90}
            actions:
              alarm: [topic:a, topic:b]
        """)
    assert document.path == "f.yaml"
    assert document.data == {"stack": "s", "alarms": {"x": {
        "metric": {"namespace": "N", "stat": "p90"},
        "actions": {"alarm": ["topic:a", "topic:b"]}}}}
    assert type(document.data["alarms"]) is dict
    assert type(document.data["alarms"]["x"]["actions"]["alarm"]) is list
    sources = {path: str(location) for path, location in document.sources.items()}
    assert sources[()] == "f.yaml:1:1"
    assert sources[("alarms",)] == "f.yaml:2:1"
    assert sources[("alarms", "x")] == "f.yaml:3:3"
    assert sources[("alarms", "x", "metric", "stat")] == "f.yaml:4:28"
    assert sources[("alarms", "x", "actions", "alarm", 0)] == "f.yaml:6:15"
    assert sources[("alarms", "x", "actions", "alarm", 1)] == "f.yaml:6:24"


def test_scalars_become_plain_types_and_timestamps_stay_strings():
    data = load_one("""\
        int: 3
        hex: 0x1f
        float: 2.5
        whole_float: 3.0
        bool: true
        null_value: ~
        empty:
        date: 2024-01-01
        time: 2024-01-01T10:00:00Z
        yes_is_a_string: yes
        quoted: "5"
        forced: !!str 12
        """).data
    assert data == {"int": 3, "hex": 31, "float": 2.5, "whole_float": 3.0, "bool": True,
                    "null_value": None, "empty": None, "date": "2024-01-01",
                    "time": "2024-01-01T10:00:00Z", "yes_is_a_string": "yes", "quoted": "5",
                    "forced": "12"}
    assert [type(data[k]) for k in ("int", "hex", "float", "whole_float", "bool")] == [
        int, int, float, float, bool]


def test_anchors_and_aliases():
    data = load_one("""\
        base: &actions [topic:a]
        x: {alarm: *actions}
        """).data
    assert data["x"] == {"alarm": ["topic:a"]}


def test_merge_keys_written_keys_win_and_merged_ones_point_to_the_anchor():
    document = load_one("""\
        common: &common
          period: 60
          stat: p90
        other: &other
          stat: Sum
          unit: Count
        metric:
          <<: [*common, *other]
          stat: Average
          name: Latency
        """)
    assert document.data["metric"] == {"stat": "Average", "name": "Latency", "period": 60,
                                       "unit": "Count"}
    sources = document.sources
    assert str(sources[("metric", "stat")]) == "f.yaml:9:3"
    assert str(sources[("metric", "period")]) == "f.yaml:2:3"  # where it was written
    assert str(sources[("metric", "unit")]) == "f.yaml:6:3"  # the later merge brings it


def test_earlier_merge_wins_over_later():
    data = load_one("""\
        a: &a {stat: p90}
        b: &b {stat: Sum}
        m: {<<: [*a, *b]}
        """).data
    assert data["m"] == {"stat": "p90"}


def test_location_columns_count_characters_after_a_utf8_bom():
    document = load_one("\ufeffstack: s\nname: é\nnext: 1\n".encode().decode(), "f.yaml")
    assert document.data == {"stack": "s", "name": "é", "next": 1}
    assert str(document.sources[("stack",)]) == "f.yaml:1:1"


def test_utf8_bom_is_accepted():
    write("bom.yaml", b"\xef\xbb\xbfstack: s\n")
    [document] = load_documents(["bom.yaml"])
    assert document.data == {"stack": "s"}


# --- files and directories ----------------------------------------------------------------

def test_directory_is_searched_recursively_sorted_skipping_hidden():
    for name in ("b.yaml", "a/z.yml", "a/y.yaml", ".git/x.yaml", "a/.hidden/x.yaml",
                 ".pre-commit-config.yaml", "notes.txt"):
        write(name, "stack: s\n")
    documents = load_documents(["."])
    assert [d.path for d in documents] == ["a/y.yaml", "a/z.yml", "b.yaml"]
    assert [d.path for d in load_documents([])] == ["a/y.yaml", "a/z.yml", "b.yaml"]
    assert str(load_documents(["a"])[0].sources[()]) == "a/y.yaml:1:1"


def test_a_file_named_twice_is_read_once():
    write("conf/a.yaml", "stack: s\n")
    assert [d.path for d in load_documents(["conf", "conf/a.yaml", "./conf/a.yaml"])] == [
        "conf/a.yaml"]


def test_missing_path_and_empty_directory():
    os.mkdir("empty")
    assert errors("nope.yaml", "empty") == [
        "error: no such file or directory: 'nope.yaml'",
        "error: no YAML files (*.yaml, *.yml) under directory 'empty'",
    ]


def test_errors_of_every_file_are_reported_together():
    write("a.yaml", "- x\n")
    write("b.yaml", "k: 1\nk: 2\n")
    write("c.yaml", "stack: fine\n")
    assert errors(".") == [
        "a.yaml:1:1: error: the top level must be a mapping (like `stack: NAME`), not a list",
        "b.yaml:2:1: error: duplicate key 'k' (first defined at b.yaml:1:1)",
    ]


def test_file_over_the_size_limit_is_refused_before_reading(monkeypatch):
    with open("big.yaml", "wb") as big:
        big.truncate(11 * 2**20)  # sparse: instant to create, would be slow to parse
    monkeypatch.setattr(loader, "_decode", lambda raw: pytest.fail("file was read"))
    assert error_of_file("big.yaml") == (
        "big.yaml:1:1: error: file is 11.0 MiB, larger than the 10 MiB limit")


def error_of_file(name: str) -> str:
    started = time.monotonic()
    [message] = errors(name)
    assert time.monotonic() - started < 2
    return message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_instead_of_blocking():
    os.mkfifo("pipe.yaml")
    assert error_of_file("pipe.yaml") == "pipe.yaml:1:1: error: not a regular file"


# --- encodings ------------------------------------------------------------------------------

def test_binary_content_names_the_first_nul_byte():
    assert error_of(b"stack: s\nab\x00cd\n") == (
        "f.yaml:2:3: error: binary content (NUL byte); not a YAML text file")


def test_invalid_utf8_names_line_and_column_of_the_bad_byte():
    assert error_of("stack: s\nname: café\n".encode("latin-1")) == (
        "f.yaml:2:10: error: invalid UTF-8 (byte 0xe9); save the file as UTF-8")


def test_invalid_utf8_column_counts_characters_not_bytes():
    assert error_of("a: ééé\xff\n".encode("utf-8").replace(b"\xc3\xbf", b"\xff")) == (
        "f.yaml:1:7: error: invalid UTF-8 (byte 0xff); save the file as UTF-8")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_named(encoding):
    message = error_of("stack: s\nregion: us-east-1\n".encode(encoding))
    assert message.startswith("f.yaml:1:1: error: file ")
    assert "UTF-16 encoded; save it as UTF-8" in message


def test_utf32_is_named():
    assert error_of("stack: s\n".encode("utf-32")) == (
        "f.yaml:1:1: error: file is UTF-32 encoded; save it as UTF-8")


def test_control_character_is_located():
    assert error_of("stack: s\nname: a\x07b\n") == (
        "f.yaml:2:8: error: unacceptable character #x0007: control characters are not allowed")


# --- document shape -------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n# and another\n", "---\n"])
def test_empty_file(text):
    assert error_of(text) == "f.yaml:1:1: error: file is empty: expected a mapping like `stack: NAME`"


def test_several_documents():
    assert error_of("stack: a\n---\nstack: b\n") == (
        "f.yaml:2:1: error: several YAML documents in one file (`---`); "
        "put each document in its own file")


def test_leading_document_marker_alone_is_fine():
    assert load_one("---\nstack: s\n").data == {"stack": "s"}


@pytest.mark.parametrize("text, what", [
    ("- stack: s\n", "a list"),
    ("just a string\n", "a single value"),
    ("\n\n  42\n", "a single value"),
    ("~\n", "a single value"),
])
def test_top_level_must_be_a_mapping(text, what):
    message = error_of(text)
    assert message.endswith(f"error: the top level must be a mapping (like `stack: NAME`), not {what}")
    assert message.startswith("f.yaml:1:1:" if text[0] != "\n" else "f.yaml:3:")


def test_duplicate_keys_name_both_places_and_all_are_reported():
    assert errors(write("f.yaml", """\
        stack: s
        alarms:
          x:
            period: 60
            period: 120
          y: {}
          x: {}
        """)) == [
        "f.yaml:5:5: error: duplicate key 'period' (first defined at f.yaml:4:5)",
        "f.yaml:7:3: error: duplicate key 'x' (first defined at f.yaml:3:3)",
    ]


def test_a_key_overriding_a_merged_one_is_not_a_duplicate():
    assert load_one("a: &a {k: 1}\nb: {<<: *a, k: 2}\n").data["b"] == {"k": 2}


def test_non_scalar_key():
    assert error_of("? [a, b]\n: 1\n") == (
        "f.yaml:1:3: error: a mapping key must be a plain value, not a list or mapping")


def test_integer_beyond_python_conversion_limit():
    message = error_of("n: " + "9" * 5000 + "\n")
    assert message.startswith("f.yaml:1:4: error: invalid int '9999")


# --- hostile YAML -------------------------------------------------------------------------

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs():
    message = error_of(BILLION_LAUGHS)
    assert message.startswith("f.yaml:")
    assert message.endswith("error: alias expansion too large: more than 100,000 values")


def test_merge_key_bomb():
    lines = ["a0: &a0 {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9}"]
    for level in range(1, 10):
        merges = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} {{<<: [{merges}]}}")
    assert error_of("\n".join(lines) + "\n").endswith(
        "error: alias expansion too large: more than 100,000 values")


def test_too_many_values_without_aliases(monkeypatch):
    monkeypatch.setattr(yaml_scalars, "MAX_NODES", 50)
    assert error_of("k: [" + ", ".join(["1"] * 60) + "]\n") == (
        "f.yaml:1:146: error: document too large: more than 50 values")


def test_deep_flow_nesting_fails_fast():
    # libyaml scans ahead inside flow collections and stops at its own limit of 1,000 levels
    # before the composer's 100-level guard sees the first node.
    assert error_of("a: " + "[" * 100_000 + "]" * 100_000 + "\n") == (
        "f.yaml:1:1003: error: YAML syntax error: exceeded maximum nesting depth "
        "(while increasing flow level started at line 1)")


def test_deep_block_nesting():
    text = "".join(" " * level + "k:\n" for level in range(150))
    assert error_of(text) == "f.yaml:100:100: error: nesting deeper than 100 levels"


def test_deep_nesting_through_aliases():
    nested = "[" * 60 + "]" * 60
    text = f"a: &a {nested}\nb: &b [{'[' * 50}*a{']' * 50}]\n"
    assert error_of(text).endswith("error: nesting deeper than 100 levels (through aliases)")


def test_recursive_alias():
    assert error_of("a: &a\n  b: *a\n") == (
        "f.yaml:1:4: error: recursive alias: a value contains itself")


def test_recursive_merge():
    assert error_of("a: &a\n  <<: *a\n") == (
        "f.yaml:1:4: error: recursive merge: a mapping merges itself")


def test_merge_of_a_scalar():
    assert error_of("a: {<<: 5}\n") == (
        "f.yaml:1:9: error: merge key `<<` takes a mapping or a list of mappings "
        "(usually `<<: *anchor`)")


def test_syntax_error_is_located_without_traceback():
    assert error_of("stack: s\nalarms: [a, b\nc: d\n") == (
        "f.yaml:3:2: error: YAML syntax error: did not find expected ',' or ']' "
        "(while parsing a flow sequence started at line 2)")


def test_undefined_alias():
    assert error_of("a: *nope\n") == "f.yaml:1:4: error: YAML syntax error: found undefined alias 'nope'"


def test_tags_construct_nothing(tmp_path):
    assert errors(write("f.yaml", f"""\
        a: !!python/object/apply:os.system ["touch {tmp_path}/pwned"]
        b: !!python/name:os.system
        c: !custom x
        d: !!binary aGVsbG8=
        e: !!set {{x}}
        """)) == [
        "f.yaml:1:4: error: unsupported YAML tag '!!python/object/apply:os.system'",
        "f.yaml:2:4: error: unsupported YAML tag '!!python/name:os.system'",
        "f.yaml:3:4: error: unsupported YAML tag '!custom'",
        "f.yaml:4:4: error: unsupported YAML tag '!!binary'",
        "f.yaml:5:4: error: unsupported YAML tag '!!set'",
    ]
    assert not (tmp_path / "pwned").exists()


def test_reusing_an_anchor_name_is_valid_yaml(recwarn):
    assert load_one("a: &x 1\nb: &x 2\nc: *x\n").data == {"a": 1, "b": 2, "c": 2}
    assert not recwarn.list


def test_locations_are_1_based():
    location = load_one("stack: s\n").sources[("stack",)]
    assert location == Location("f.yaml", 1, 1)


# --- the fast paths agree with the general ones ---------------------------------------------

@pytest.mark.parametrize("value", [
    "", "~", "null", "Null", "NULL", "nul", "true", "True", "TRUE", "tRue", "false", "yes", "on",
    "0", "-1", "+1", "1_000", "0x1f", "0o17", "0b101", "017", "1.5", "-.5", "1e3", "1.0e+3",
    ".inf", "-.inf", ".nan", ".NaN", "2024-01-01", "2024-01-01T10:00:00Z", "<<", "=", "!", "&",
    "*", "topic:a", "notBreaching", "ANOMALY_DETECTION_BAND(m1, 2)", "é", " x", "12:30",
])
@pytest.mark.parametrize("implicit", [(True, False), (False, True), (False, False)])
def test_resolver_agrees_with_ruamel(value, implicit):
    from ruamel.yaml.nodes import ScalarNode

    expected = str(yaml_scalars.RESOLVER.resolve(ScalarNode, value, implicit))
    assert yaml_scalars.resolve(value, implicit) == expected
    assert yaml_scalars.resolve(value, implicit) == expected  # cached


PLAIN = """\
stack: s
region: us-east-1
tags: {team: ml, cost-center: '4242'}
alarms:
  model-latency:
    description: latency too high
    metric: {namespace: AWS/SageMaker, name: ModelLatency, dimensions: {EndpointName: e}, stat: p90}
    when: '> 5'
    evaluation_periods: 3
    enabled: true
    ratio: 2.5
    since: 2024-01-01
    nothing: ~
    actions:
      alarm: [topic:a, "topic:b"]
      ok:
        - topic:a
        - {nested: [1, 2]}
"""


def general_path(path: str):
    return compose_yaml.Builder(path).document(compose_yaml.compose_document(Path(path).read_text()))


def test_plain_path_gives_what_the_general_path_gives():
    path = write("f.yaml", PLAIN)
    plain = plain_yaml.load_plain(path, Path(path).read_text())
    assert plain is not None
    general, problems = general_path(path)
    assert problems == []
    assert plain.data == general.data
    assert list(plain.sources.items()) == list(general.sources.items())
    assert repr(plain.data) == repr(general.data)  # same key order, same types


REPO = Path(__file__).resolve().parents[2]
EVERY_FILE = sorted(str(p) for folder in ("examples", "tests/corpus")
                    for p in (REPO / folder).rglob("*") if p.suffix in (".yaml", ".yml"))


@pytest.mark.parametrize("path", EVERY_FILE, ids=lambda p: os.path.relpath(p, REPO))
def test_fast_path_agrees_with_the_general_composer_on_every_example_and_corpus_file(path):
    """Where the fast path builds a file, it builds exactly what the general composer builds:
    data, key order, types and sources. Files it hands over (None) are the general path's."""
    try:
        text = loader._read_text(path)
    except yaml_scalars.Unreadable:
        return  # refused before either path runs (size, encoding, binary)
    plain = plain_yaml.load_plain(path, text)
    if plain is None:
        return
    try:
        general, problems = compose_yaml.Builder(path).document(compose_yaml.compose_document(text))
    except yaml_scalars.Unreadable as refused:
        pytest.fail(f"fast path built a file the general composer refuses: {refused.message}")
    assert problems == []
    assert repr(plain.data) == repr(general.data)
    assert list(plain.sources.items()) == list(general.sources.items())


def test_fast_path_takes_most_example_files():
    """The fast path is worth keeping only if it serves the files people write."""
    examples = [p for p in EVERY_FILE if "/examples/" in p]
    fast = [p for p in examples if plain_yaml.load_plain(p, Path(p).read_text()) is not None]
    assert len(fast) >= len(examples) * 0.8, (len(fast), len(examples))


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n",  # anchors and aliases
    "a: {k: 1}\nb: {<<: {k: 2}}\n",  # merge keys
    "a: !!str 5\n",  # tags
    "1: a\n",  # keys that are not strings
    "a: 1\na: 2\n",  # duplicate keys
    "a: !!int x\n",
    "- a\n",
    "a: 1\n---\nb: 2\n",
    "a: [b\n",  # syntax errors
    "",
])
def test_anything_unusual_goes_the_general_way(text):
    path = write("f.yaml", text)
    assert plain_yaml.load_plain(path, Path(path).read_text()) is None
