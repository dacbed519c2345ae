"""schemas/obsctl.schema.json is generated from the config model and must stay in step."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.config.schema import json_schema
from reconciler.kinds import KINDS

SCHEMA_FILE = Path(__file__).parents[2] / "schemas" / "obsctl.schema.json"


def test_schema_file_is_up_to_date():
    expected = json.dumps(json_schema(KINDS), indent=2, sort_keys=True) + "\n"
    assert SCHEMA_FILE.read_text() == expected, (
        "schemas/obsctl.schema.json is out of date: run `make schema`")


def test_schema_describes_one_config_file():
    schema = json_schema(KINDS)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "obsctl config"
    assert schema["required"] == ["stack"]
    assert schema["additionalProperties"] is False
    assert {"stack", "region", "role_arn", "profile", "prune", "tags", "defaults",
            "alarms", "topics"} <= set(schema["properties"])


# --- the schema is usable by editors and check-jsonschema ------------------------------------

REPO = Path(__file__).parents[2]
PLAN_SCHEMA_FILE = REPO / "schemas" / "plan.schema.json"
EXAMPLES = sorted(p for p in (REPO / "examples").rglob("*.yaml")
                  if "ci" not in p.relative_to(REPO / "examples").parts)


def walk(node, path="#"):
    """Every (JSON pointer, sub-schema) of a schema, recursively."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def regexes(schema):
    """Every regex of a schema: `pattern` values and `patternProperties` keys."""
    for path, node in walk(schema):
        if isinstance(node.get("pattern"), str) and not path.endswith("/properties"):
            yield f"{path}/pattern", node["pattern"]
        if isinstance(node.get("patternProperties"), dict) and not path.endswith("/properties"):
            for key in node["patternProperties"]:
                yield f"{path}/patternProperties", key


def ecma_regex_error(pattern):
    """Why `pattern` is not an ECMA-262 regex (check-jsonschema's engine), or None."""
    import regress

    try:
        regress.Regex(pattern, "u")
    except regress.RegressError as error:
        return str(error)
    return None


def properties_without_description(schema):
    for path, node in walk(schema):
        if path.endswith("/properties"):
            continue
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name, sub in properties.items():
                yield f"{path}/properties/{name}", bool(
                    isinstance(sub, dict) and str(sub.get("description", "")).strip())


@pytest.mark.parametrize("schema_file", [SCHEMA_FILE, PLAN_SCHEMA_FILE], ids=lambda p: p.name)
def test_every_regex_of_the_schema_is_ecma_262(schema_file):
    schema = json.loads(schema_file.read_text())
    found = list(regexes(schema))
    assert found  # the walk sees them
    bad = {path: (pattern, ecma_regex_error(pattern)) for path, pattern in found
           if ecma_regex_error(pattern)}
    assert not bad


def test_the_ecma_check_refuses_python_only_syntax():
    for python_only in (r"(?P<name>a)", r"a\Z", r"(?i)a", r"\p{L"):
        assert ecma_regex_error(python_only), python_only


def test_every_property_has_a_description():
    described = list(properties_without_description(json_schema(KINDS)))
    missing = [path for path, ok in described if not ok]
    assert not missing, f"{len(missing)} of {len(described)} properties lack a description"


def test_the_schema_has_a_stable_id():
    schema = json_schema(KINDS)
    assert schema["$id"] == "https://obsctl.dev/schemas/obsctl.schema.json"


def check_jsonschema(*args):
    return subprocess.run([sys.executable, "-m", "check_jsonschema", *map(str, args)],
                          capture_output=True, text=True)


@pytest.mark.parametrize("schema_file", [SCHEMA_FILE, PLAN_SCHEMA_FILE], ids=lambda p: p.name)
def test_check_jsonschema_accepts_the_schema(schema_file):
    result = check_jsonschema("--check-metaschema", schema_file)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_accepts_every_example():
    assert len(EXAMPLES) >= 10
    result = check_jsonschema("--schemafile", SCHEMA_FILE, *EXAMPLES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_refuses_a_bad_config(tmp_path):
    # The pass above is not vacuous: a misspelt key and a bad destination ARN are refused.
    bad = tmp_path / "bad.yaml"
    bad.write_text("stack: s\nlog_groups:\n  /app:\n    retention_dayz: 7\n"
                   "    subscription_filters:\n      f:\n        pattern: ''\n"
                   "        destination_arn: 'arn:aws:sqs:us-east-1:111111111111:q'\n")
    result = check_jsonschema("--schemafile", SCHEMA_FILE, bad)
    assert result.returncode == 1
    assert "retention_dayz" in result.stdout and "destination_arn" in result.stdout
