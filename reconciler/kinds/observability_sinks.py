"""CloudWatch cross-account observability, monitoring account side: an OAM sink and its policy.

    observability_sinks:
      central:
        source_accounts: ["222222222222"]      # or {organization_id: o-abcdef0123}
        resource_types: [AWS::CloudWatch::Metric, AWS::Logs::LogGroup]

A sink is what source accounts link to (reconciler/kinds/observability_links.py); an account
has at most one per Region, named by its `Name`, identified by an ARN with a random ID. Its
*sink policy* (PutSinkPolicy) says who may link, in the shape the OAM API reference documents:
one statement allowing `oam:CreateLink` and `oam:UpdateLink` on "*", for the listed accounts
(`Principal: {AWS: [...]}`) or for every account of an organization (`Principal: "*"` and
`ForAnyValue:StringEquals` on `aws:PrincipalOrgID`), limited to the resource types by
`ForAllValues:StringEquals` on `oam:ResourceTypes`.

Comparable form: {"source_accounts": sorted IDs, or "organization_id", "resource_types":
sorted, "tags"}, read back from the live policy. A live policy of any other shape (edited by
hand: more statements, other actions) cannot be read into those fields: its form is then
{"policy": the policy as compact JSON, "tags"}, which differs from every config, so the plan
shows it and apply writes obsctl's policy over it. No policy at all (a create that failed half
way) reads as {"tags"} alone: apply puts it.

Live state: ListSinks (paginated), then per sink (one per account and Region) its tags
(ListTagsForResource) and GetSinkPolicy. A sink with links attached cannot be deleted: AWS
answers ConflictException, which delete turns into one line naming what to do.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal, Union

from botocore.exceptions import ClientError
from pydantic import BeforeValidator, Discriminator, Field, StringConstraints, Tag

from reconciler.config.fields import AccountId, StrictModel, Tags
from reconciler.diagnostics import Diagnostic, ObsctlError
from reconciler.kinds.base import ArnIdentity, Desired, Kind, Live
from reconciler.kinds.common import desired_tags, for_each, list_tags, present, sync_tags

# The OAM API reference's ResourceType enumeration (CreateLink, and the sink policy condition).
ResourceType = Literal[
    "AWS::CloudWatch::Metric", "AWS::Logs::LogGroup", "AWS::XRay::Trace",
    "AWS::ApplicationInsights::Application", "AWS::InternetMonitor::Monitor",
    "AWS::ApplicationSignals::Service", "AWS::ApplicationSignals::ServiceLevelObjective"]
ResourceTypes = Annotated[list[ResourceType], Field(min_length=1, max_length=50)]
SinkName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_.\-]{1,255}$")]
OrganizationId = Annotated[str, StringConstraints(pattern=r"^o-[a-z0-9]{10,32}$")]

POLICY_VERSION = "2012-10-17"
LINK_ACTIONS = ["oam:CreateLink", "oam:UpdateLink"]
_TYPES_CONDITION = "ForAllValues:StringEquals"
_ORG_CONDITION = "ForAnyValue:StringEquals"


class Organization(StrictModel):
    """Every account of an AWS Organizations organization may link."""

    organization_id: OrganizationId
    """The organization's ID (o-...), matched by the policy condition aws:PrincipalOrgID."""


def _quoted(value):
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"write the account ID {value} in quotes: YAML reads it as a number "
                         "(and drops leading zeros)")
    return value


def _sources_form(value) -> str | None:
    """Which form `source_accounts` is written in, so errors come from that form only."""
    if isinstance(value, (dict, Organization)):
        return "Organization"
    return "Accounts" if isinstance(value, list) else None


SourceAccounts = Annotated[
    Union[Annotated[Organization, Tag("Organization")],
          Annotated[list[Annotated[AccountId, BeforeValidator(_quoted)]], Field(min_length=1),
                    Tag("Accounts")]],
    Discriminator(_sources_form, custom_error_type="source_accounts_form",
                  custom_error_message='give a list of account IDs or {organization_id: "o-..."}')]


class SinkConfig(StrictModel):
    """A CloudWatch cross-account observability sink in the monitoring account, and the
    sink policy saying which source accounts may link to it with which resource types."""

    source_accounts: SourceAccounts
    """The source accounts that may link: a list of 12-digit account IDs (quoted), or
    {organization_id: o-...} for every account of an organization."""
    resource_types: ResourceTypes
    """What the source accounts may share, e.g. AWS::CloudWatch::Metric, AWS::Logs::LogGroup."""
    tags: Tags = {}
    """Tags of this sink, added to the stack's tags."""


# --- the policy --------------------------------------------------------------------------------

def policy_fields(config: SinkConfig) -> dict:
    """The comparable policy fields of a sink's config."""
    accounts = config.source_accounts
    return {
        "source_accounts": sorted(set(accounts)) if isinstance(accounts, list) else None,
        "organization_id": None if isinstance(accounts, list) else accounts.organization_id,
        "resource_types": sorted(set(config.resource_types)),
    }


def sink_policy(fields: dict) -> dict:
    """The sink policy the OAM API reference documents, for the comparable policy fields."""
    condition = {_TYPES_CONDITION: {"oam:ResourceTypes": fields["resource_types"]}}
    if fields.get("organization_id"):
        principal: dict | str = "*"
        condition[_ORG_CONDITION] = {"aws:PrincipalOrgID": fields["organization_id"]}
    else:
        principal = {"AWS": fields["source_accounts"]}
    return {"Version": POLICY_VERSION, "Statement": [{
        "Effect": "Allow", "Principal": principal, "Action": LINK_ACTIONS, "Resource": "*",
        "Condition": condition}]}


def _values(value) -> list | None:
    """IAM takes "x" and ["x"] alike; None for anything else."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _account(principal: str) -> str:
    """IAM may write an account ID back as its root ARN."""
    if principal.startswith("arn:") and principal.endswith(":root"):
        return principal.split(":")[4]
    return principal


def read_policy(text: str | None) -> dict:
    """The comparable policy fields of a live sink policy (see the module docstring)."""
    unset = {"source_accounts": None, "organization_id": None, "resource_types": None}
    if not text:
        return unset
    try:
        document = json.loads(text)
        fields = _recognized(document)
    except (ValueError, AttributeError, TypeError):
        fields = None
    if fields is None:
        try:
            shown = json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
        except ValueError:
            shown = text
        return {**unset, "policy": shown}
    return fields


def _recognized(document: dict) -> dict | None:
    statements = document.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or len(statements) != 1:
        return None
    statement = statements[0]
    if (statement.get("Effect") != "Allow" or statement.get("Resource") not in ("*", ["*"])
            or sorted(_values(statement.get("Action")) or []) != LINK_ACTIONS
            or set(statement) - {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"}):
        return None
    principal = statement.get("Principal")
    accounts = (_values(principal.get("AWS"))
                if isinstance(principal, dict) and set(principal) == {"AWS"} else None)
    everyone = principal == "*" or accounts == ["*"]
    condition = statement.get("Condition")
    expected = {_TYPES_CONDITION: "oam:ResourceTypes",
                **({_ORG_CONDITION: "aws:PrincipalOrgID"} if everyone else {})}
    if not isinstance(condition, dict) or set(condition) != set(expected) or any(
            not isinstance(condition[test], dict) or set(condition[test]) != {key}
            for test, key in expected.items()):
        return None
    types = _values(condition[_TYPES_CONDITION]["oam:ResourceTypes"])
    if not types:
        return None
    if everyone:
        organization = _values(condition[_ORG_CONDITION]["aws:PrincipalOrgID"])
        if not organization or len(organization) != 1:
            return None
        return {"source_accounts": None, "organization_id": organization[0],
                "resource_types": sorted(set(types))}
    if not accounts:
        return None
    return {"source_accounts": sorted({_account(a) for a in accounts}), "organization_id": None,
            "resource_types": sorted(set(types))}


def is_not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def listed_sinks(aws, fresh: bool = False) -> list[dict]:
    """ListSinks (paginated): the account-region's sinks, read once per run unless `fresh`
    (shared by this kind and the links that reference a sink of the run)."""
    def load():
        pages = aws.client("oam").get_paginator("list_sinks").paginate()
        return [sink for page in pages for sink in page["Items"]]
    return load() if fresh else aws.read_once("oam:sinks", load)


# --- the kind ----------------------------------------------------------------------------------

class ObservabilitySinks(Kind):
    iam_read = ("oam:ListSinks", "oam:GetSinkPolicy", "oam:ListTagsForResource")
    iam_write = ("oam:CreateSink", "oam:PutSinkPolicy", "oam:TagResource", "oam:UntagResource",
                 "oam:DeleteSink")

    name = "observability_sinks"
    section = "observability_sinks"
    entry_model = SinkConfig
    name_type = SinkName
    one_per_place = True  # across the stacks of a run too (config/cross_stack.py)

    def check(self, stack):
        extra = list(stack.section(self.section))[1:]
        return [Diagnostic(f"observability_sinks.{name}: an account has one sink per Region "
                           f"(AWS: ServiceQuotaExceededException); this stack declares "
                           f"{len(extra) + 1}", stack.locate(self.section, name))
                for name in extra]

    def iam_resources(self, stack, scope, names):
        # A sink's ARN ends in a random ID, not its name.
        return [scope.arn("oam", "sink/*")]

    def spec(self, entry, stack, scope):
        return {**present(policy_fields(entry)), "tags": desired_tags(stack, entry.tags)}

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        sinks = listed_sinks(aws)
        sinks = [sink for sink in sinks if sink["Name"].startswith(name_prefix)]
        read = for_each(sinks, lambda sink: aws.read_once(("oam:sink", sink["Arn"]),
                                                          lambda: self._details(aws, sink["Arn"])))
        return {sink["Name"]: Live(sink["Name"], {**present(read_policy(policy)), "tags": tags},
                                   tags=tags, identity=ArnIdentity(arn=sink["Arn"]))
                for sink, (policy, tags) in zip(sinks, read) if tags is not None}

    @staticmethod
    def _details(aws, arn: str) -> tuple[str | None, dict | None]:
        """The sink's policy and tags; (None, None) when it was deleted since it was listed."""
        try:
            policy = aws.client("oam").get_sink_policy(SinkIdentifier=arn).get("Policy")
            return policy, list_tags(aws, arn)
        except ClientError as error:
            if is_not_found(error):
                return None, None
            raise

    def cloudtrail_names(self, change, live):
        return [live.identity["arn"]] if live else [change.name]  # as for links, by ARN

    def to_config(self, live, refs):
        if "policy" in live.spec or "resource_types" not in live.spec:
            raise ObsctlError(f"observability_sinks/{json.dumps(live.name)[1:-1]}: its sink policy "
                              "is not of the shape obsctl writes (one statement for accounts or an "
                              "organization and resource types); import cannot express it")
        entry: dict = {"source_accounts": (live.spec.get("source_accounts")
                                           or {"organization_id": live.spec["organization_id"]}),
                       "resource_types": live.spec["resource_types"]}
        own_tags = refs.own_tags(live.tags)
        if own_tags:
            entry["tags"] = own_tags
        return ("observability_sinks", live.name), entry

    def create(self, aws, desired):
        oam = aws.client("oam")
        arn = oam.create_sink(Name=desired.name, Tags=desired.written_tags)["Arn"]
        self._put_policy(oam, arn, desired)

    def update(self, aws, desired, live):
        arn = live.identity["arn"]
        if "policy" in live.spec or any(
                desired.spec.get(key) != live.spec.get(key)
                for key in ("source_accounts", "organization_id", "resource_types")):
            self._put_policy(aws.client("oam"), arn, desired)
        sync_tags(aws, arn, live.tags, desired.written_tags)

    @staticmethod
    def _put_policy(oam, arn: str, desired: Desired) -> None:
        oam.put_sink_policy(SinkIdentifier=arn, Policy=json.dumps(sink_policy(desired.spec)))

    def delete(self, aws, live):
        try:
            aws.client("oam").delete_sink(Identifier=live.identity["arn"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConflictException":
                raise
            raise ObsctlError(
                "the sink has links from source accounts attached (AWS: ConflictException); "
                "delete those links first, in the source accounts' stacks, then rerun") from None
