"""schemas/obsctl.schema.json is generated from the config model and must stay in step."""

from __future__ import annotations

import json
from pathlib import Path

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
