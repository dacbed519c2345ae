"""CloudWatch Logs Insights saved queries (query definitions).

    queries:
      errors-per-hour:
        log_groups: [/aws/sagemaker/Endpoints/prod-churn]
        query: "filter @message like /(?i)error/ | stats count(*) as errors by bin(1h)"

`obsctl query NAME` runs one (reconciler/cli/query.py, reconciler/logs_insights.py).

AWS names a query definition by a generated `queryDefinitionId`; its `name` need not be
unique. obsctl keys saved queries by name, carries the id in `Live.identity`, and refuses to
plan (ObsctlError) when two live definitions share a name that this stack declares or owns:
it cannot tell which one the config means, and updating either would leave a stale twin.
Except when every copy is exactly what the stack declares (two applies of one stack raced
before creates were idempotent): the one with the lowest id is the query, the others are
`Live.duplicate_of` it, and the plan deletes them.

Creates are idempotent: PutQueryDefinition's `clientToken` is derived from the stack, the name
and the content, so two applies of one stack at once (a local run while CI applies) create
one definition; a later create of other content is another token. A later create of the same
content (deleted, then declared again) repeats the token, which AWS answers with the deleted
definition's id: `create` checks the id and creates afresh then (see there).

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

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Annotated, NotRequired, TypedDict

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
    """A saved CloudWatch Logs Insights query (query definition)."""

    log_groups: Annotated[list[LogGroupName], Field(min_length=1, max_length=MAX_LOG_GROUPS)]
    """Log groups the saved query reads by default."""
    query: QueryText
    """CloudWatch Logs Insights query text."""


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
    iam_read = ("logs:DescribeQueryDefinitions",)
    iam_write = ("logs:PutQueryDefinition", "logs:DeleteQueryDefinition")

    name = "queries"
    section = "queries"
    entry_model = QueryConfig
    name_type = QueryName
    taggable = False  # query definitions have no tags
    depends_on = ("log_groups",)

    def desired(self, stack, scope):
        return {
            name: QueryDesired(name, spec, location=stack.locate("queries", name),
                               client_token=client_token(stack.name, name, spec))
            for name, config in stack.section("queries").items()
            for spec in [comparable(config.log_groups, config.query, LANGUAGE)]
        }

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        if not owned_only:
            # Shared names and queries the config cannot express are refused by to_config,
            # for the queries actually imported (not those another stack's prune patterns claim).
            return {name: query for name, query in _read(aws, lambda n: False).items()
                    if name.startswith(name_prefix)}
        declared = {name: comparable(config.log_groups, config.query, LANGUAGE)
                    for name, config in stack.section("queries").items()}
        patterns = stack.prune_patterns(self.name)

        def copies_of_declared(name: str, specs: list[dict]) -> bool:
            # Claimed as the engine claims untaggable names, and every copy is the config's.
            claimed = not patterns or stack.owns_by_pattern(self.name, name)
            return claimed and name in declared and all(s == declared[name] for s in specs)

        return _read(aws, lambda name: name in declared or stack.owns_by_pattern(self.name, name),
                     copies_of_declared)

    def to_config(self, live, refs):
        # Every imported name is about to be declared: a shared one would stop the next plan.
        if live.identity.get("shared"):
            raise _duplicates_error(live.name, live.identity["shared"])
        problem = inexpressible(live.spec)
        if problem:
            raise ObsctlError(f"queries/{live.name} cannot be written as a `queries` entry: "
                              f"{problem}")
        return ("queries", live.name), query_config(live.spec)

    def cloudtrail_names(self, change, live):
        return [live.identity["id"]] if live else [change.name]  # logged by definition id

    def create(self, aws, desired):
        logs = aws.client("logs")
        created = logs.put_query_definition(**_put_request(desired),
                                            clientToken=desired.client_token)
        # A token AWS saw before answers that request's id again without creating, even if
        # that definition was deleted since (pruned, then declared again): write it by id to
        # know it exists (a lookup by key, unlike the eventually consistent listing), and
        # create it afresh (botocore's random token) if it does not.
        try:
            logs.put_query_definition(**_put_request(desired),
                                      queryDefinitionId=created["queryDefinitionId"])
        except logs.exceptions.ResourceNotFoundException:
            logs.put_query_definition(**_put_request(desired))

    def update(self, aws, desired, live):
        # With queryDefinitionId, PutQueryDefinition replaces that definition.
        aws.client("logs").put_query_definition(**_put_request(desired),
                                                queryDefinitionId=live.identity["id"])

    def delete(self, aws, live):
        aws.client("logs").delete_query_definition(queryDefinitionId=live.identity["id"])


@dataclass
class QueryDesired(Desired):
    client_token: str | None = None  # PutQueryDefinition's idempotency token for the create


def client_token(stack: str, name: str, spec: dict) -> str:
    """The same for every create of this content by this stack (PutQueryDefinition takes
    36-128 non-space characters)."""
    digest = hashlib.sha256(json.dumps([stack, name, spec], sort_keys=True).encode())
    return f"obsctl-{digest.hexdigest()}"


class QueryIdentity(TypedDict):
    id: str  # queryDefinitionId
    shared: NotRequired[list[dict]]  # every definition of this name, when there are several


def _read(aws, strict, removable=lambda name, specs: False) -> dict[str, Live]:
    """Every query definition by name; two sharing a name that `strict` selects are an error
    (a shared name the stack neither declares nor owns is not ours to resolve), unless
    `removable(name, specs)`: then the copies after the first are `NAME#ID`, duplicates."""
    by_name: dict[str, list[dict]] = {}
    for definition in read_definitions(aws.client("logs")):
        by_name.setdefault(definition["name"], []).append(definition)
    live = {}
    for name, definitions in by_name.items():
        first, *extra = [_live(name, d) for d in
                         sorted(definitions, key=lambda d: d["queryDefinitionId"])]
        live[name] = first
        if extra:  # import refuses a shared name: declaring it would stop the next plan
            first.identity["shared"] = definitions
        if extra and strict(name):
            if not removable(name, [first.spec] + [copy.spec for copy in extra]):
                raise _duplicates_error(name, definitions)
            for copy in extra:
                copy.name, copy.duplicate_of = f"{name}#{copy.identity['id']}", name
                live[copy.name] = copy
    return live


def _live(name: str, definition: dict) -> Live:
    return Live(name, comparable(definition.get("logGroupNames"),
                                 definition.get("queryString", ""),
                                 definition.get("queryLanguage")),
                identity=QueryIdentity(id=definition["queryDefinitionId"]))


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
