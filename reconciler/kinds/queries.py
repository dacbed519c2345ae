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
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from reconciler.config.fields import StrictModel
from reconciler.diagnostics import ObsctlError
from reconciler.kinds.base import Desired, Kind, Live
from reconciler.kinds.log_groups import LogGroupName

MAX_QUERY_LENGTH = 10_000  # PutQueryDefinition queryString
MAX_LOG_GROUPS = 50  # a Logs Insights query searches at most 50 log groups
PAGE_SIZE = 1000  # DescribeQueryDefinitions maxResults
LANGUAGE = "CWLI"  # Logs Insights QL; AWS's default queryLanguage

QueryName = Annotated[str, StringConstraints(min_length=1, max_length=255)]
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
        by_name: dict[str, list[dict]] = {}
        for definition in read_definitions(aws.client("logs")):
            by_name.setdefault(definition["name"], []).append(definition)
        declared = set(stack.section("queries"))
        live = {}
        for name, definitions in by_name.items():
            if len(definitions) > 1 and (name in declared or stack.owns_by_pattern(self.name, name)):
                raise _duplicates_error(name, definitions)
            # A shared name the stack neither declares nor owns is not ours to resolve.
            definition = min(definitions, key=lambda d: d["queryDefinitionId"])
            live[name] = Live(name, comparable(definition.get("logGroupNames"),
                                               definition.get("queryString", ""),
                                               definition.get("queryLanguage")),
                              identity={"id": definition["queryDefinitionId"]})
        return live

    def create(self, aws, desired):
        aws.client("logs").put_query_definition(**_put_request(desired))

    def update(self, aws, desired, live):
        # With queryDefinitionId, PutQueryDefinition replaces that definition.
        aws.client("logs").put_query_definition(**_put_request(desired),
                                                queryDefinitionId=live.identity["id"])

    def delete(self, aws, live):
        aws.client("logs").delete_query_definition(queryDefinitionId=live.identity["id"])


def _put_request(desired: Desired) -> dict:
    spec = desired.spec
    return {"name": desired.name, "queryString": spec["query"], "logGroupNames": spec["log_groups"],
            "queryLanguage": spec["language"]}
