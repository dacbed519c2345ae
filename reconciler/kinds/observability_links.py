"""CloudWatch cross-account observability, source account side: an OAM link to a sink.

    role_arn: arn:aws:iam::222222222222:role/obsctl     # the stack runs in the source account
    observability_links:
      to-central:
        sink: arn:aws:oam:us-east-1:111111111111:sink/EXAMPLE-ID
        label: $AccountName
        resource_types: [AWS::CloudWatch::Metric, AWS::Logs::LogGroup]

`sink` is the ARN of a sink in the monitoring account (observability_sinks there), written
out: the stack runs in the source account and cannot read the monitoring account's sinks.
Or, when the monitoring account's stack is in the same run, a reference to its sink:

        sink: {stack: observability-central, name: central}

The plan reads that sink's ARN through the other stack's credentials (its ListSinks, which
that stack's plan reads anyway); while the sink does not exist yet, the plan shows
"(known after apply: ...)" and apply, which makes sinks a round before links
(`after_other_accounts`), reads the new sink's ARN right before CreateLink. Validation checks
that the named stack declares the sink; a run without that stack is refused (references.py).
The sink's policy must allow this account and these resource types, or CreateLink is refused
(one line saying so).

A link has no name in AWS, only a random ID, and an account links to a sink at most once:
a link is known by its sink. A live link is named after the entry of the stack whose `sink`
is its sink, or else `to-<the sink's account>` (the name import writes), or `link-<ID>` when
that name is taken. So renaming an entry changes nothing in AWS, and a changed `sink` is
another link: the plan creates it, and with --prune deletes the old one.

Comparable form: {"sink", "label" (the label template), "resource_types" (sorted),
"tags"}. UpdateLink changes only the resource types (and LinkConfiguration, which obsctl
leaves as it is); the label template cannot change, so a changed `label` replaces the link
(DeleteLink, then CreateLink). Label templates may use AWS's variables $AccountName,
$AccountEmail and $AccountEmailNoDomain; any other `$Word` is refused at validation.

Live state: ListLinks (paginated, 5 a page: an account has few links), then one
GetLink (IncludeTags) per link for its label template and tags.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial
from typing import Annotated

from botocore.exceptions import ClientError
from pydantic import AfterValidator, Discriminator, StringConstraints, Tag

from reconciler.aws import describe_error
from reconciler.config.fields import StrictModel, Tags, check_no_control_characters
from reconciler.config.registry import StackReference
from reconciler.diagnostics import Diagnostic, ObsctlError
from reconciler.kinds.base import ArnIdentity, Desired, Kind, Live
from reconciler.kinds.common import desired_tags, for_each, sync_tags
from reconciler.kinds.observability_sinks import (ResourceTypes, SinkName, is_not_found,
                                                  listed_sinks)

LABEL_VARIABLES = ("$AccountName", "$AccountEmail", "$AccountEmailNoDomain")
DEFAULT_LABEL = "$AccountName"
_VARIABLE = re.compile(r"\$[A-Za-z]+")
_SINK_ARN = r"^arn:aws(-[a-z]+)*:oam:[a-z0-9-]+:[0-9]{12}:sink/[A-Za-z0-9-]{1,255}$"


def check_label(template: str) -> str:
    check_no_control_characters(template)
    for variable in _VARIABLE.findall(template):
        if variable not in LABEL_VARIABLES:
            raise ValueError(f"unknown label variable {variable!r}: AWS knows "
                             f"{', '.join(LABEL_VARIABLES)}")
    return template


SinkArn = Annotated[str, StringConstraints(pattern=_SINK_ARN)]
LabelTemplate = Annotated[str, StringConstraints(min_length=1, max_length=64),
                          AfterValidator(check_label)]
LinkName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,255}$")]
StackName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,255}$")]


class SinkReference(StrictModel):
    """A sink that another stack of the same run declares (in the monitoring account)."""

    stack: StackName
    """The name (`stack:`) of the stack declaring the sink; it must be part of the run."""
    name: SinkName
    """The sink's name: its key under that stack's observability_sinks."""

    def pending(self) -> str:
        """What the plan shows for the ARN until the sink exists (names are plain: validated)."""
        return f"(known after apply: the ARN of sink {self.name!r} of stack {self.stack!r})"


def _sink_form(value) -> str | None:
    if isinstance(value, (dict, SinkReference)):
        return "Reference"
    return "Arn" if isinstance(value, str) else None


Sink = Annotated[
    Annotated[SinkArn, Tag("Arn")] | Annotated[SinkReference, Tag("Reference")],
    Discriminator(_sink_form, custom_error_type="sink_form",
                  custom_error_message="give the sink's ARN (arn:aws:oam:REGION:ACCOUNT:sink/ID) "
                                       "or {stack: STACK, name: SINK} for a sink of the run")]


class LinkConfig(StrictModel):
    """A CloudWatch cross-account observability link from this (source) account to a sink
    in a monitoring account; the stack reaches the source account through `role_arn`."""

    sink: Sink
    """The monitoring account's sink: its ARN (arn:aws:oam:REGION:ACCOUNT:sink/ID), as its
    stack's apply or the console shows it, or {stack: STACK, name: SINK} for a sink that
    another stack of the same run declares (resolved to its ARN at plan, or at apply when
    the sink is created by the same apply)."""
    label: LabelTemplate = DEFAULT_LABEL
    """How the monitoring account labels this account's data: text with $AccountName,
    $AccountEmail or $AccountEmailNoDomain (1-64 characters). Changing it replaces the link."""
    resource_types: ResourceTypes
    """What this account shares, e.g. AWS::CloudWatch::Metric, AWS::Logs::LogGroup; the
    sink's policy must allow each."""
    tags: Tags = {}
    """Tags of this link, added to the stack's tags."""


class LinkIdentity(ArnIdentity):
    id: str


def _sink_account(sink_arn: str) -> str:
    return sink_arn.split(":")[4]


def live_names(links: list[dict], declared_sinks: dict[str, str]) -> list[str]:
    """The name of each live link (see the module docstring); `declared_sinks`: sink ARN ->
    the entry naming it."""
    taken = set(declared_sinks.values())
    names = []
    for link in links:
        name = declared_sinks.get(link["SinkArn"])
        if name is None:
            name = f"to-{_sink_account(link['SinkArn'])}"
            if name in taken:
                name = f"link-{link['Id']}"
        taken.add(name)
        names.append(name)
    return names


def _sink_key(sink: str | SinkReference) -> str:
    return sink if isinstance(sink, str) else f"{sink.stack}/{sink.name}"


def _sink_problem(stack, sink: str | SinkReference, earlier: str | None) -> str | None:
    """What AWS would refuse about linking this stack's account to `sink`, as far as the
    config tells (the stack's account is known from `role_arn` only)."""
    if earlier is not None:
        return (f"the link {earlier!r} links to this sink already; an account links to a sink "
                "only once")
    if isinstance(sink, SinkReference):
        return None  # its account and Region are the other stack's
    _, _, _, region, account, _ = sink.split(":", 5)
    role = stack.config.role_arn
    if role and role.split(":")[4] == account:
        return (f"the sink is in account {account}, the account this stack runs in (role_arn): "
                "a link joins a source account to another account's sink")
    if stack.region and stack.region != region:
        return (f"the sink is in {region} and this stack in {stack.region}: a link joins a "
                "sink of its own Region")
    return None


class ObservabilityLinks(Kind):
    iam_read = ("oam:ListLinks", "oam:GetLink", "oam:ListTagsForResource")
    # CreateLink also needs the Link permission of each shared resource type's service.
    iam_write = ("oam:CreateLink", "oam:UpdateLink", "oam:DeleteLink", "oam:TagResource",
                 "oam:UntagResource", "cloudwatch:Link", "logs:Link", "xray:Link",
                 "applicationinsights:Link", "internetmonitor:Link", "application-signals:Link")

    name = "observability_links"
    section = "observability_links"
    entry_model = LinkConfig
    name_type = LinkName
    after_other_accounts = ("observability_sinks",)  # in one run, the sink comes first

    def iam_resources(self, stack, scope, names):
        return ["*"]  # CreateLink names no link (its ID is random); the *:Link actions no resource

    def check(self, stack):
        first: dict[str, str] = {}
        problems = []
        for name, link in stack.section(self.section).items():
            problem = _sink_problem(stack, link.sink, first.get(_sink_key(link.sink)))
            if problem:
                problems.append(Diagnostic(f"observability_links.{name}.sink: {problem}",
                                           stack.locate(self.section, name, "sink")))
            first.setdefault(_sink_key(link.sink), name)
        return problems

    def stack_references(self, stack):
        return [StackReference(f"observability_links.{name}.sink", link.sink.stack,
                               "observability_sinks", link.sink.name,
                               stack.locate(self.section, name, "sink"))
                for name, link in stack.section(self.section).items()
                if isinstance(link.sink, SinkReference)]

    def resolve_references(self, stack, desired, live, run):
        references = {name: link.sink for name, link in stack.section(self.section).items()
                      if isinstance(link.sink, SinkReference) and name in desired}
        if not references:
            return desired, live
        desired = dict(desired)
        for name, reference in references.items():
            sink_aws = run.aws_of(reference.stack)
            arn = _sink_arns(sink_aws).get(reference.name)
            if arn:
                desired[name] = replace(desired[name], spec={**desired[name].spec, "sink": arn})
            else:
                desired[name] = replace(desired[name], resolve=partial(
                    _resolved, desired[name], reference, sink_aws))
        # Live links are named after the entry whose sink they link to: now that is known.
        links = list(live.values())
        names = live_names([{"SinkArn": link.spec["sink"], "Id": link.identity["id"]}
                            for link in links],
                           {wanted.spec["sink"]: name for name, wanted in desired.items()})
        return desired, {name: replace(link, name=name) for name, link in zip(names, links)}

    def spec(self, entry, stack, scope):
        sink = entry.sink if isinstance(entry.sink, str) else entry.sink.pending()
        return {"sink": sink, "label": entry.label,
                "resource_types": sorted(set(entry.resource_types)),
                "tags": desired_tags(stack, entry.tags)}

    def read_live(self, aws, stack, owned_only=True, name_prefix=""):
        oam = aws.client("oam")
        listed = aws.read_once("oam:links", lambda: [
            link for page in oam.get_paginator("list_links").paginate() for link in page["Items"]])
        declared = {entry.sink: name for name, entry in stack.section(self.section).items()
                    if isinstance(entry.sink, str)}  # references: see resolve_references
        details = for_each(listed, lambda link: aws.read_once(("oam:link", link["Arn"]),
                                                              lambda: self._get(oam, link["Arn"])))
        live = {}
        for name, link in zip(live_names(listed, declared), details):
            if link is None or not name.startswith(name_prefix):
                continue  # deleted since it was listed, or not selected for an import
            tags = link.get("Tags", {})
            live[name] = Live(name, {
                "sink": link["SinkArn"], "label": link["LabelTemplate"],
                "resource_types": sorted(set(link["ResourceTypes"])), "tags": tags,
            }, tags=tags, identity=LinkIdentity(arn=link["Arn"], id=link["Id"]))
        return live

    @staticmethod
    def _get(oam, arn: str) -> dict | None:
        try:
            return oam.get_link(Identifier=arn, IncludeTags=True)
        except ClientError as error:
            if is_not_found(error):
                return None
            raise

    def cloudtrail_names(self, change, live):
        return [live.identity["arn"]] if live else [change.name]  # a link has no name but its ARN

    def to_config(self, live, refs):
        entry: dict = {"sink": live.spec["sink"]}
        if live.spec["label"] != DEFAULT_LABEL:
            entry["label"] = live.spec["label"]
        entry["resource_types"] = live.spec["resource_types"]
        own_tags = refs.own_tags(live.tags)
        if own_tags:
            entry["tags"] = own_tags
        return ("observability_links", live.name), entry

    def create(self, aws, desired):
        spec = desired.spec
        try:
            aws.client("oam").create_link(
                LabelTemplate=spec["label"], ResourceTypes=spec["resource_types"],
                SinkIdentifier=spec["sink"], Tags=desired.written_tags)
        except ClientError as error:
            _refuse(error, spec, aws.scope.account_id)
            raise

    def update(self, aws, desired, live):
        if desired.spec["label"] != live.spec["label"] or desired.spec["sink"] != live.spec["sink"]:
            self.delete(aws, live)  # a link's label template cannot change
            self.create(aws, desired)
            return
        arn = live.identity["arn"]
        if desired.spec["resource_types"] != live.spec["resource_types"]:
            try:
                aws.client("oam").update_link(Identifier=arn,
                                              ResourceTypes=desired.spec["resource_types"])
            except ClientError as error:
                _refuse(error, desired.spec, aws.scope.account_id)
                raise
        sync_tags(aws, arn, live.tags, desired.written_tags)

    def delete(self, aws, live):
        try:
            aws.client("oam").delete_link(Identifier=live.identity["arn"])
        except ClientError as error:
            if not is_not_found(error):  # gone already: what the delete wanted
                raise


def _sink_arns(aws, fresh: bool = False) -> dict[str, str]:
    return {sink["Name"]: sink["Arn"] for sink in listed_sinks(aws, fresh)}


def _resolved(desired: Desired, reference: SinkReference, sink_aws) -> Desired:
    """`desired` with the ARN of the sink `reference` names, read at apply (fresh: the sink
    stack's apply made it a round earlier)."""
    arn = _sink_arns(sink_aws, fresh=True).get(reference.name)
    if arn is None:
        raise ObsctlError(f"the sink {reference.name!r} of stack {reference.stack!r} does not "
                          "exist (its stack did not create it in this apply: see above); apply "
                          "that stack, then rerun")
    return replace(desired, spec={**desired.spec, "sink": arn}, resolve=None)


def _refuse(error: ClientError, spec: dict, account: str) -> None:
    """One line for what the sink refuses (ObsctlError); other errors pass. AWS's own words
    come first: an AccessDeniedException may also be the role's IAM policy."""
    code = error.response.get("Error", {}).get("Code")
    sink = spec["sink"]  # validated: an ARN of letters, digits, `:`, `/` and `-`
    if code == "AccessDeniedException":
        raise ObsctlError(
            f"{describe_error(error)}: the sink {sink} does not let account {account} link with "
            f"{', '.join(spec['resource_types'])}: add the account (or its organization) to the "
            "sink's `source_accounts` and the types to its `resource_types` in the monitoring "
            "account's stack, apply that, then rerun (a denial of this stack's own role needs "
            "`obsctl iam-policy --for apply` instead)") from None
    if code == "ResourceNotFoundException":
        raise ObsctlError(f"{describe_error(error)}: no sink {sink}: check the ARN, and apply "
                          "the monitoring account's stack first") from None
