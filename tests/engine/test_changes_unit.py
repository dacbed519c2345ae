"""reconciler/changes.py's pure parts: git's raw diff and cat-file output, and what a file's
content at the ref says about its stack."""

from __future__ import annotations

import pytest

from reconciler.changes import (RawChange, is_config_file, parse_batch, parse_raw_diff,
                                stack_settings)

OLD = "a" * 40
NEW = "b" * 40
ZERO = "0" * 40


def test_raw_diff_entries_with_hostile_names():
    output = (f":100644 100644 {OLD} {ZERO} M\0mon/a b.yaml\0"
              f":000000 100644 {ZERO} {NEW} A\0mon/new\nline.yaml\0"
              f":100644 000000 {OLD} {ZERO} D\0mon/gone-é.yaml\0"
              f":160000 160000 {OLD} {NEW} M\0vendor/sub\0").encode()
    assert parse_raw_diff(output) == [
        RawChange("mon/a b.yaml", "M", OLD),
        RawChange("mon/new\nline.yaml", "A", None),
        RawChange("mon/gone-é.yaml", "D", OLD),
        RawChange("vendor/sub", "M", None),  # a submodule: no file content to read
    ]
    assert parse_raw_diff(b"") == []


def test_raw_diff_keeps_names_that_are_not_utf8():
    [change] = parse_raw_diff(f":100644 000000 {OLD} {ZERO} D\0".encode() + b"x\xff.yaml\0")
    assert change.path == "x\udcff.yaml"


def test_cat_file_batch_output_including_missing_objects_and_newlines_in_content():
    body = b"stack: a\n\nkey: \"x\n\"\n"
    output = (f"{OLD} blob {len(body)}\n".encode() + body + b"\n"
              + f"{NEW} missing\n".encode()
              + f"{ZERO} blob 0\n\n".encode())
    assert parse_batch(output) == {OLD: body, ZERO: b""}


@pytest.mark.parametrize("raw, expected", [
    (b"stack: a\nregion: eu-west-1\ntopics: {t: {}}\nprune: {dashboards: [a-*]}\n",
     {"stack": "a", "region": "eu-west-1", "prune": {"dashboards": ["a-*"]}}),
    (b"name: not obsctl\n", None),
    (b"stack: [1, 2]\n", None),
    (b"- a list\n", None),
    (b"\x00\x01binary", None),
    (b"a: &a [x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nstack: *b\n", None),
    (b"stack: a\nstack: b\n", None),  # a duplicate key: the file was never valid
])
def test_stack_settings_from_content_at_the_ref(raw, expected):
    assert stack_settings(raw, "old.yaml") == expected


@pytest.mark.parametrize("path, expected", [
    ("monitoring/a.yaml", True), ("a.yml", True), ("monitoring/a.json", False),
    (".github/workflows/ci.yml", False), ("monitoring/.hidden.yaml", False),
    ("../up/a.yaml", True),
])
def test_config_files_are_what_a_directory_path_loads(path, expected):
    assert is_config_file(path) is expected
