"""Logs Insights saved queries without AWS: validation, the desired form built from a loaded
stack, definitions as DescribeQueryDefinitions returns them, names shared by several
definitions, and what import can and cannot write."""

from __future__ import annotations

import io
import textwrap
from types import SimpleNamespace

import pytest
from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from reconciler.aws import Scope
from reconciler.config import load_stacks
from reconciler.diagnostics import ObsctlError
from reconciler.kinds.base import Live
from reconciler.kinds.queries import (LANGUAGE, Queries, QueryConfig, QueryName, comparable,
                                      inexpressible, query_config)
from reconciler.plan import diff_fields
from reconciler.kinds import KINDS

SCOPE = Scope(region="us-east-1", account_id="111111111111")
QUERIES = Queries()
QUERY = "fields @timestamp, @message\n| filter @message like /ERROR/\n| sort @timestamp desc"


def load(tmp_path, text: str, name: str = "stack.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    [stack] = load_stacks([str(path)], KINDS)
    return stack


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize("entry", [
    {"log_groups": ["/a"], "query": "x" * 10_000},
    {"log_groups": [f"/g{i}" for i in range(50)], "query": "fields @message"},
    {"log_groups": ["/a", "/a"], "query": " x "},
])
def test_good_queries_validate(entry):
    assert QueryConfig.model_validate(entry).log_groups == entry["log_groups"]


@pytest.mark.parametrize("entry", [
    {"log_groups": [], "query": "fields @message"},
    {"log_groups": [f"/g{i}" for i in range(51)], "query": "fields @message"},
    {"log_groups": ["/a"], "query": ""},
    {"log_groups": ["/a"], "query": " \n\t"},
    {"log_groups": ["/a"], "query": "x" * 10_001},
    {"log_groups": ["aws/lambda/x"], "query": "fields @message"},
    {"log_groups": "/a", "query": "fields @message"},
    {"query": "fields @message"},
    {"log_groups": ["/a"], "query": "fields @message", "language": "SQL"},
])
def test_bad_queries_are_rejected(entry):
    with pytest.raises(ValidationError):
        QueryConfig.model_validate(entry)


@pytest.mark.parametrize("name, good", [("a", True), ("x" * 255, True), ("errors per hour/é", True),
                                        ("", False), ("x" * 256, False)])
def test_query_names_are_1_to_255_characters(name, good):
    if good:
        assert TypeAdapter(QueryName).validate_python(name) == name
    else:
        with pytest.raises(ValidationError):
            TypeAdapter(QueryName).validate_python(name)


# --- desired form -----------------------------------------------------------------------------

STACK = """
stack: test
queries:
  errors:
    log_groups: [/ml/b, /ml/a, /ml/b]
    query: |
      fields @timestamp, @message
      | filter @message like /ERROR/
      | sort @timestamp desc
  count:
    log_groups: [/ml/a]
    query: "  stats count(*) by bin(1h)  "
"""


def test_desired_from_a_loaded_stack(tmp_path):
    found = QUERIES.desired(load(tmp_path, STACK), SCOPE)
    assert {name: d.spec for name, d in found.items()} == {
        # log groups as a sorted set; the block scalar's final newline is not part of the query
        "errors": {"log_groups": ["/ml/a", "/ml/b"], "query": QUERY, "language": "CWLI"},
        "count": {"log_groups": ["/ml/a"], "query": "stats count(*) by bin(1h)", "language": "CWLI"},
    }
    assert (found["errors"].location.line, found["errors"].location.col) == (4, 3)
    assert (found["count"].location.line, found["count"].location.col) == (10, 3)


# --- definitions as AWS returns them ----------------------------------------------------------

def test_read_back_in_another_order_with_aws_defaults_is_no_change():
    desired = comparable(["/ml/b", "/ml/a", "/ml/b"], QUERY + "\n", LANGUAGE)
    # queryLanguage absent (definitions saved before it existed), groups in another order
    assert comparable(["/ml/a", "/ml/b"], QUERY, None) == desired
    assert comparable(("/ml/b", "/ml/a"), f"\n {QUERY}\t", "CWLI") == desired


def test_no_log_groups_read_back_as_an_empty_list():
    assert comparable(None, "fields @message", None) == {
        "log_groups": [], "query": "fields @message", "language": "CWLI"}


def test_real_differences_are_field_changes():
    desired = comparable(["/ml/a"], "fields @message", LANGUAGE)
    live = comparable(["/ml/a", "/ml/b"], "fields  @message", "SQL")
    changes = {c.path: (c.before, c.after) for c in diff_fields(live, desired)}
    assert changes == {"language": ("SQL", "CWLI"), "log_groups": (["/ml/a", "/ml/b"], ["/ml/a"]),
                       "query": ("fields  @message", "fields @message")}


class FakeLogs:
    """DescribeQueryDefinitions answering `pages` in turn (each page: definitions, nextToken)."""

    def __init__(self, pages):
        self.pages, self.calls = pages, 0

    def describe_query_definitions(self, **_):
        definitions, token = self.pages[min(self.calls, len(self.pages) - 1)]
        self.calls += 1
        if self.calls > 10:
            raise AssertionError("kept asking for pages")
        return {"queryDefinitions": definitions, **({"nextToken": token} if token else {})}


def definition(name, id_, groups=("/ml/a",), query="fields @message", language=None):
    item = {"queryDefinitionId": id_, "name": name, "queryString": query,
            "lastModified": 1700000000000}
    if groups is not None:
        item["logGroupNames"] = list(groups)
    if language:
        item["queryLanguage"] = language
    return item


def aws_with(pages):
    logs = FakeLogs(pages)
    return SimpleNamespace(client=lambda service: logs), logs


def test_every_page_is_read_and_each_definition_keyed_by_name(tmp_path):
    stack = load(tmp_path, STACK)
    aws, logs = aws_with([
        ([definition("errors", "id-1", ["/ml/b", "/ml/a"], QUERY + "\n", "CWLI")], "t1"),
        ([definition("count", "id-2", query="stats count(*) by bin(1h)"),
          definition("other", "id-3", groups=None, language="SQL")], None),
    ])
    live = QUERIES.read_live(aws, stack)
    assert logs.calls == 2
    assert {name: (q.spec, q.identity) for name, q in live.items()} == {
        "errors": ({"log_groups": ["/ml/a", "/ml/b"], "query": QUERY, "language": "CWLI"}, {"id": "id-1"}),
        "count": ({"log_groups": ["/ml/a"], "query": "stats count(*) by bin(1h)", "language": "CWLI"},
                  {"id": "id-2"}),
        "other": ({"log_groups": [], "query": "fields @message", "language": "SQL"}, {"id": "id-3"}),
    }
    for name, want in QUERIES.desired(stack, SCOPE).items():
        assert diff_fields(QUERIES.comparable(live[name].spec, want.spec), want.spec) == []


def test_a_server_echoing_the_page_token_does_not_loop(tmp_path):
    # the second page hands back the token it was asked with: nothing more is coming
    aws, logs = aws_with([([definition("count", "id-2")], "t1"), ([definition("errors", "id-1")], "t1")])
    live = QUERIES.read_live(aws, load(tmp_path, STACK))
    assert set(live) == {"count", "errors"} and logs.calls == 2


def test_a_declared_name_shared_by_two_definitions_stops_the_plan_naming_both_ids(tmp_path):
    aws, _ = aws_with([([definition("errors", "id-b"), definition("errors", "id-a")], None)])
    with pytest.raises(ObsctlError) as error:
        QUERIES.read_live(aws, load(tmp_path, STACK))
    message = str(error.value)
    assert message.startswith("queries/errors: 2 saved Logs Insights queries in AWS share this name "
                              "(ids id-a, id-b);")
    assert "aws logs delete-query-definition --query-definition-id ID" in message


def test_a_shared_name_matching_the_prune_patterns_stops_the_plan(tmp_path):
    stack = load(tmp_path, STACK + "prune: {queries: [ml-*]}\n")
    aws, _ = aws_with([([definition("ml-old", "id-1"), definition("ml-old", "id-2")], None)])
    with pytest.raises(ObsctlError, match=r"^queries/ml-old: 2 saved"):
        QUERIES.read_live(aws, stack)


def test_a_shared_name_the_stack_neither_declares_nor_owns_is_left_alone(tmp_path):
    stack = load(tmp_path, STACK + "prune: {queries: [ml-*]}\n")
    aws, _ = aws_with([([definition("theirs", "id-2", query="b"), definition("theirs", "id-1", query="a")],
                        None)])
    [theirs] = QUERIES.read_live(aws, stack).values()
    assert (theirs.name, theirs.identity["id"], theirs.spec["query"]) == ("theirs", "id-1", "a")
    assert [d["queryDefinitionId"] for d in theirs.identity["shared"]] == ["id-2", "id-1"]


# --- import -----------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, reason", [
    (comparable(["/a"], "SELECT * FROM `/a`", "SQL"),
     "query language SQL; obsctl manages Logs Insights QL (CWLI)"),
    (comparable(["/a"], "source=`/a` | head 5", "PPL"),
     "query language PPL; obsctl manages Logs Insights QL (CWLI)"),
    (comparable(None, "fields @message", None), "no log groups; a `queries` entry names at least one"),
    (comparable(["/a"], "  \n", None), "an empty query"),
    (comparable(["/a"], "fields @message", None), None),
])
def test_inexpressible_says_why(spec, reason):
    assert inexpressible(spec) == reason


def test_import_refuses_definitions_the_config_cannot_express(tmp_path):
    aws, _ = aws_with([([definition("ml-sql", "id-1", language="SQL"),
                         definition("ml-open", "id-2", groups=None),
                         definition("ml-ok", "id-3"), definition("other", "id-4", language="PPL")],
                        None)])
    selected = QUERIES.read_live(aws, load(tmp_path, STACK), owned_only=False, name_prefix="ml-")
    assert sorted(selected) == ["ml-ok", "ml-open", "ml-sql"]
    refused = {}
    for name in ("ml-open", "ml-sql"):
        with pytest.raises(ObsctlError) as error:
            QUERIES.to_config(selected[name], None)
        refused[name] = str(error.value)
    assert refused == {
        "ml-open": "queries/ml-open cannot be written as a `queries` entry: no log groups; a "
                   "`queries` entry names at least one",
        "ml-sql": "queries/ml-sql cannot be written as a `queries` entry: query language SQL; "
                  "obsctl manages Logs Insights QL (CWLI)"}
    assert QUERIES.to_config(selected["ml-ok"], None)[0] == ("queries", "ml-ok")


def test_import_selects_by_prefix(tmp_path):
    aws, _ = aws_with([([definition("ml-ok", "id-3"), definition("other", "id-4", language="PPL")],
                        None)])
    selected = QUERIES.read_live(aws, load(tmp_path, STACK), owned_only=False, name_prefix="ml-")
    assert list(selected) == ["ml-ok"]


def test_import_refuses_a_selected_name_shared_by_two_definitions(tmp_path):
    # every selected name is about to be declared, so it would stop the next plan
    aws, _ = aws_with([([definition("ml-twin", "id-2"), definition("ml-twin", "id-1"),
                         definition("twin", "id-3"), definition("twin", "id-4")], None)])
    selected = QUERIES.read_live(aws, load(tmp_path, STACK), owned_only=False, name_prefix="ml-")
    assert list(selected) == ["ml-twin"]
    with pytest.raises(ObsctlError, match=r"^queries/ml-twin: 2 saved .* \(ids id-1, id-2\)"):
        QUERIES.to_config(selected["ml-twin"], None)


def test_query_config_writes_several_lines_as_a_block_and_one_line_plain():
    block = query_config(comparable(["/b", "/a"], QUERY, None))
    assert block == {"log_groups": ["/a", "/b"], "query": QUERY}
    assert isinstance(block["query"], LiteralScalarString)
    line = query_config(comparable(["/a"], "fields @message", None))["query"]
    assert line == "fields @message" and not isinstance(line, LiteralScalarString)
    # a `|` block cannot hold a carriage return or other control characters as they are
    for text in ("a\r\nb", "a\x85b\nc", "a\x1b[31m\nb"):
        assert not isinstance(query_config(comparable(["/a"], text, None))["query"],
                              LiteralScalarString)


def test_to_config_places_the_entry_under_queries():
    live = Live("errors", comparable(["/a"], "fields @message", None), identity={"id": "id-1"})
    assert QUERIES.to_config(live, None) == (("queries", "errors"),
                                            {"log_groups": ["/a"], "query": "fields @message"})


@pytest.mark.parametrize("query", [
    QUERY, "fields @message", "a  \nb", "a\n\n\nb", "a\n  | b", "a\tb\n\tc", "fields x # not a comment\n| y",
    "a\r\nb", "a\x85b\nc", "'a'\n\"b\"", "- a\nb", "é\n€ \u00a0x", "filter @m like /: {x}/\n| limit 5",
])
def test_imported_entry_loads_back_to_the_live_spec(tmp_path, query):
    live = Live("q", comparable(["/ml/b", "/ml/a"], query, None), identity={"id": "id-1"})
    (section, name), entry = QUERIES.to_config(live, None)
    stream = io.StringIO()
    YAML().dump({"stack": "test", section: {name: entry}}, stream)
    stack = load(tmp_path, stream.getvalue(), "imported.yaml")
    assert QUERIES.desired(stack, SCOPE)["q"].spec == live.spec
