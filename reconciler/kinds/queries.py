"""CloudWatch Logs Insights saved queries (query definitions).

    queries:
      errors-per-hour:
        log_groups: [/aws/sagemaker/Endpoints/prod-churn]
        query: "filter @message like /(?i)error/ | stats count(*) as errors by bin(1h)"

`obsctl query NAME` runs one (reconciler/query.py).

AWS names a query definition by a generated `queryDefinitionId`; its `name` need not be
unique. obsctl keys saved queries by name, carries the id in `Live.identity`, and refuses to
plan (ObsctlError) when two live definitions share a name that this stack declares or owns:
it cannot tell which one the config means, and updating either would leave a stale twin.
Query definitions cannot be tagged: a stack owns the ones matching its `prune.queries`
patterns (the engine decides).

Live state: DescribeQueryDefinitions, 1,000 a page. botocore has no paginator for it, so
`read_live` follows `nextToken` itself and stops on a token it has seen (a server echoing
the token back would otherwise loop for ever, as moto does for DescribeMetricFilters).

Comparable form: {"log_groups": sorted, duplicate-free names, "query": text without
surrounding whitespace (YAML block scalars add a newline), "language": "CWLI"}.

Import (`obsctl import --kind queries`): `log_groups` and `query`, a query of several lines as
a `|` block. Refused (ObsctlError, nothing written): a selected name shared by several
definitions (as in plan), and definitions the config cannot express: another query language
(OpenSearch PPL or SQL) or no log groups (chosen when the query runs). `--adopt` writes
nothing, as for dashboards: there is no tag to set. Declaring the name is what claims the
query; for `--prune` to delete it once it leaves the config, list it (or a pattern) under
`prune.queries`. If the stack has `prune.queries` patterns and an imported name matches none,
the plan shows it as a conflict and `--adopt` reports it as not adopted.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, StringConstraints
from ruamel.yaml.scalarstring import LiteralScalarString

from reconciler.config.fields import StrictModel, printable_name
from reconciler.diagnostics import ObsctlError
from reconciler.kinds.base import Desired, Kind, Live
from reconciler.kinds.log_groups import LogGroupName

MAX_QUERY_LENGTH = 10_000  # PutQueryDefinition queryString
MAX_LOG_GROUPS = 50  # a Logs Insights query searches at most 50 log groups
PAGE_SIZE = 1000  # DescribeQueryDefinitions maxResults
LANGUAGE = "CWLI"  # Logs Insights QL; AWS's default queryLanguage
# Text a YAML `|` block holds as it is: "\n" the only line break, no control characters.
_BLOCK_SAFE = re.compile(r"[^\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]*")

QueryName = printable_name(255)
QueryText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUERY_LENGTH,
                                             pattern=r"\S")]


class QueryConfig(StrictModel):
    log_groups: Annotated[list[LogGroupName], Field(min_length=1, max_length=MAX_LOG_GROUPS)]
    query: QueryText


def comparable(log_groups, query: str, language: str | None) -> dict:
    return {"log_groups": sorted(set(log_groups or [])), "query": query.strip(),
            "language": language or LANGUAGE}


def read_definitions(logs) -> list[dict]:
    """Every query definition in the region, following nextToken by hand."""
    definitions, token, seen = [], None, set()
    while True:
        page = logs.describe_query_definitions(maxResults=PAGE_SIZE,
                                               **({"nextToken": token} if token else {}))
        definitions += page.get("queryDefinitions", [])
        token = page.get("nextToken")
        if not token or token in seen:
            return definitions
        seen.add(token)


def _duplicates_error(name: str, definitions: list[dict]) -> ObsctlError:
    ids = ", ".join(sorted(d["queryDefinitionId"] for d in definitions))
    return ObsctlError(
        f"queries/{name}: {len(definitions)} saved Logs Insights queries in AWS share this name "
        f"(ids {ids}); obsctl manages one query per name and cannot tell which one the config "
        "means. Delete the extra ones (aws logs delete-query-definition --query-definition-id "
        "ID) and plan again.")


class Queries(Kind):
    name = "queries"
    section = "queries"
    entry_model = QueryConfig
    name_type = QueryName
    taggable = False  # query definitions have no tags
    depends_on = ("log_groups",)

    def desired(self, stack, scope):
        return {
            name: Desired(name, comparable(config.log_groups, config.query, LANGUAGE),
                          location=stack.locate("queries", name))
            for name, config in stack.section("queries").items()
        }

    def read_live(self, aws, stack):
        declared = set(stack.section("queries"))
        return _read(aws, lambda name: name in declared or stack.owns_by_pattern(self.name, name))

    def read_for_import(self, aws, stack, prefix):
        # Every selected name is about to be declared: a shared one would stop the next plan.
        live = {name: query for name, query in _read(aws, lambda n: n.startswith(prefix)).items()
                if name.startswith(prefix)}
        problems = [f"{name} ({problem})" for name, query in sorted(live.items())
                    for problem in [inexpressible(query.spec)] if problem]
        if problems:
            raise ObsctlError(f"{len(problems)} saved queries cannot be written as `queries` "
                              f"entries: {'; '.join(problems[:5])}. Leave them out with "
                              "--name-prefix.")
        return live

    def to_config(self, live, refs):
        return ("queries", live.name), query_config(live.spec)

    def create(self, aws, desired):
        aws.client("logs").put_query_definition(**_put_request(desired))

    def update(self, aws, desired, live):
        # With queryDefinitionId, PutQueryDefinition replaces that definition.
        aws.client("logs").put_query_definition(**_put_request(desired),
                                                queryDefinitionId=live.identity["id"])

    def delete(self, aws, live):
        aws.client("logs").delete_query_definition(queryDefinitionId=live.identity["id"])


def _read(aws, strict) -> dict[str, Live]:
    """Every query definition by name; two sharing a name that `strict` selects are an error
    (a shared name the stack neither declares nor owns is not ours to resolve)."""
    by_name: dict[str, list[dict]] = {}
    for definition in read_definitions(aws.client("logs")):
        by_name.setdefault(definition["name"], []).append(definition)
    live = {}
    for name, definitions in by_name.items():
        if len(definitions) > 1 and strict(name):
            raise _duplicates_error(name, definitions)
        definition = min(definitions, key=lambda d: d["queryDefinitionId"])
        live[name] = Live(name, comparable(definition.get("logGroupNames"),
                                           definition.get("queryString", ""),
                                           definition.get("queryLanguage")),
                          identity={"id": definition["queryDefinitionId"]})
    return live


def inexpressible(spec: dict) -> str | None:
    """Why a live definition (comparable form) has no `queries` entry, or None."""
    if spec["language"] != LANGUAGE:
        return f"query language {spec['language']}; obsctl manages Logs Insights QL ({LANGUAGE})"
    if not spec["log_groups"]:
        return "no log groups; a `queries` entry names at least one"
    if not spec["query"]:
        return "an empty query"
    return None


def query_config(spec: dict) -> dict:
    """The `queries` entry a person would write: a query of several lines as a `|` block."""
    query = spec["query"]
    block = "\n" in query and _BLOCK_SAFE.fullmatch(query)
    return {"log_groups": list(spec["log_groups"]),
            "query": LiteralScalarString(query) if block else query}


def _put_request(desired: Desired) -> dict:
    spec = desired.spec
    return {"name": desired.name, "queryString": spec["query"], "logGroupNames": spec["log_groups"],
            "queryLanguage": spec["language"]}
