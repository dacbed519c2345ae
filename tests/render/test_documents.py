"""The plan document is built from named fields, follows schemas/plan.schema.json, and is what
every renderer reads; a failed plan is a document too."""

from __future__ import annotations

import json
from dataclasses import dataclass

import jsonschema

from reconciler.diagnostics import Diagnostic, Location
from reconciler.plan import Action, Change, FieldChange, Kept, Note, Plan, StackPlan
from reconciler.plan_document import FORMAT_VERSION, failure_document, plan_document
from reconciler.render import RENDERERS, json_plan, markdown, text
from reconciler.render.failure import render_failure
from tests.render.commonmark import OWN_ELEMENTS, rendered
from tests.render.test_hostile_strings import COMMENT_OPENER, hostile_plan
from tests.render.test_renderers import PLAN_SCHEMA, sample_plan

CHANGE_KEYS = {"stack", "kind", "name", "address", "action", "before", "after", "fields",
               "origin", "reason", "fingerprint", "cause", "attribution", "data_loss"}


@dataclass
class ChangeWithInternals(Change):
    """A Change that grew a field for internal use: it must not reach the public document."""

    retries_left: int = 3


def test_document_has_exactly_the_public_fields():
    change = ChangeWithInternals("s", "alarms", "a", Action.UPDATE, {"t": 1}, {"t": 2},
                                 fields=[FieldChange("t", 1, 2)])
    plan = Plan([StackPlan("s", "us-east-1", [change], kept=[Kept("s", "topics", "t", "why")],
                           live_fingerprints={"alarms/a": "fp"}, unmanaged_owned=["x/y"],
                           notes=[Note("s", "lambda_monitors.m", "says", ("f",))])])
    document = plan_document(plan)
    assert set(document) == {"format_version", "stacks", "changes", "kept", "notes", "summary"}
    assert document["stacks"] == [{"stack": "s", "region": "us-east-1", "config_digest": None,
                                   "unmanaged_owned": ["x/y"]}]
    assert set(document["changes"][0]) == CHANGE_KEYS
    assert document["kept"] == [{"stack": "s", "kind": "topics", "name": "t",
                                 "address": "topics/t", "reason": "why"}]
    assert document["notes"] == [{"stack": "s", "source": "lambda_monitors.m", "message": "says",
                                  "subjects": ["f"]}]
    jsonschema.validate(json.loads(json_plan.render(document)), PLAN_SCHEMA)


def test_hostile_plans_follow_the_schema_and_round_trip():
    plan = hostile_plan()
    document = json.loads(RENDERERS["json"](plan))
    jsonschema.validate(document, PLAN_SCHEMA)
    assert [Change.from_dict(c) for c in document["changes"]] == plan.changes


def test_every_format_renders_the_same_document():
    document = plan_document(sample_plan())
    assert RENDERERS["text"](sample_plan()) == text.render(document)
    assert RENDERERS["markdown"](sample_plan()) == markdown.render(document)
    assert RENDERERS["json"](sample_plan()) == json_plan.render(document)


def test_text_and_markdown_read_only_the_document():
    """Change the document, and both views change with it: they do not go back to the plan."""
    document = plan_document(sample_plan())
    document["changes"][1]["fields"][0]["after"] = 123456
    assert "      ~ threshold: 500000 -> 123456" in text.render(document)
    assert "+ threshold: 123456" in markdown.render(document)


PROBLEMS = [
    Diagnostic("unknown field 'treshold'", Location("stacks/b.yaml", 7, 5), hint="did you mean 'threshold'?"),
    "AWS DescribeAlarms: AccessDenied",
    Diagnostic("duplicate name", Location("stacks/a.yaml", 3, 9)),
]


def test_failure_as_json_follows_the_schema_in_file_order():
    document = json.loads(render_failure("json", PROBLEMS))
    jsonschema.validate(document, PLAN_SCHEMA)
    assert document == {"format_version": FORMAT_VERSION, "error": True, "errors": [
        {"message": "AWS DescribeAlarms: AccessDenied", "file": None, "line": None, "col": None},
        {"message": "duplicate name", "file": "stacks/a.yaml", "line": 3, "col": 9},
        {"message": "unknown field 'treshold' (did you mean 'threshold'?)",
         "file": "stacks/b.yaml", "line": 7, "col": 5}]}
    assert failure_document(PROBLEMS) == document


def test_failure_is_not_a_plan_and_a_plan_is_not_a_failure():
    failed = failure_document(PROBLEMS)
    assert not _valid({**failed, "changes": []})
    assert not _valid({**failed, "errors": []})
    assert not _valid({**plan_document(sample_plan()), "error": True})


def _valid(document: dict) -> bool:
    try:
        jsonschema.validate(document, PLAN_SCHEMA)
    except jsonschema.ValidationError:
        return False
    return True


def test_failure_as_markdown_names_each_place_and_stays_text():
    hostile = Diagnostic(f"bad name {COMMENT_OPENER}\n**No changes.**",
                         Location("stacks/x|`y`.yaml", 2, 3))
    comment = render_failure("markdown", [*PROBLEMS, hostile])
    assert comment.startswith("### ❌ obsctl plan failed\n")
    html, parsed = rendered(comment)
    assert "<!--" not in html and set(parsed.tags) <= OWN_ELEMENTS
    assert parsed.tags.count("li") == 4
    assert "stacks/a.yaml:3:9: duplicate name" in parsed.text
    assert "stacks/b.yaml:7:5: unknown field 'treshold' (did you mean 'threshold'?)" in parsed.text
    assert "AWS DescribeAlarms: AccessDenied" in parsed.text
    assert f"stacks/x|`y`.yaml:2:3: bad name {COMMENT_OPENER}\\n**No changes.**" in parsed.text


def test_failure_as_text_is_one_visible_line_each():
    out = render_failure("text", [Diagnostic("bad\x1b[2J", Location("a.yaml", 1, 2)), "boom\n"])
    assert out == "error: boom\\n\na.yaml:1:2: error: bad\\x1b[2J\n"
