"""CloudWatch Observability Access Manager (service ``oam``, REST-JSON), missing from moto 5.2.5.

After the OAM API reference (2022-06-10):
- a *sink* lives in a monitoring account (one per account and Region: a second CreateSink is
  ServiceQuotaExceededException); its *sink policy* says which source accounts may link to it;
- a *link* lives in a source account and points at a sink in another account. CreateLink is
  refused (AccessDeniedException) unless the sink's policy has an Allow statement for
  ``oam:CreateLink`` whose Principal is the source account (ID, ``arn:aws:iam::ID:root`` or
  ``*``), whose ``oam:ResourceTypes`` condition, if any, covers the requested types, and whose
  ``aws:PrincipalOrgID`` condition, if any, names the organization (moto's Organizations) the
  source account manages or belongs to. A source
  account links to a given sink at most once (ConflictException); a sink with links attached
  cannot be deleted (ConflictException). The monitoring account sees the link in
  ListAttachedLinks;
- the link's Label is its LabelTemplate with ``$AccountName`` and ``$AccountEmailNoDomain``
  replaced by the account ID and ``$AccountEmail`` by ``<ID>@example.com`` (the emulator knows no
  account names);
- identifiers are the ARNs ``arn:aws:oam:REGION:ACCOUNT:sink/ID`` and ``.../link/ID``, with
  random IDs (UUIDs), as AWS makes them;
- tags on create and Tag/Untag/ListTagsForResource (Get*/UpdateLink return them only with
  ``IncludeTags``, default false); sinks and links are listed by the Resource
  Groups Tagging API (resource types ``oam:sink`` and ``oam:link``).

moto has no such service, so this module registers one: a backend (per account and Region, so
``/moto-api/reset`` clears it), a response class routed by the botocore model, and the URL
pattern the server dispatches ``oam.REGION.amazonaws.com`` requests on.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import JsonRESTError
from moto.core.resource_tagging import TaggableResourcesMixin, TaggedResource
from moto.core.responses import BaseResponse
from moto.moto_api._internal import mock_random

from . import _common

RESOURCE_TYPES = (
    "AWS::CloudWatch::Metric", "AWS::Logs::LogGroup", "AWS::XRay::Trace",
    "AWS::ApplicationInsights::Application", "AWS::InternetMonitor::Monitor",
    "AWS::ApplicationSignals::Service", "AWS::ApplicationSignals::ServiceLevelObjective",
)
_SINK_NAME = re.compile(r"^[a-zA-Z0-9_.\-]{1,255}$")
_OAM_ARN = re.compile(r"^arn:[\w-]+:oam:([^:]+):(\d{12}):(sink|link)/([^/]+)$")
MAX_TAGS = 50


class OamError(JsonRESTError):
    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(error_type, message)
        self.code = status


def _invalid(message: str) -> OamError:
    return OamError("InvalidParameterException", message)


def _missing(name: str) -> OamError:
    return OamError("MissingRequiredParameterException", f"Missing required parameter: {name}")


def _not_found(arn: str) -> OamError:
    return OamError("ResourceNotFoundException", f"Resource {arn} not found.", 404)


class OAMBackend(BaseBackend, TaggableResourcesMixin):
    """Sinks and links of one account in one Region."""

    SERVICE_NAMESPACE = "oam"

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.sinks: dict[str, dict[str, Any]] = {}  # by ARN
        self.links: dict[str, dict[str, Any]] = {}  # by ARN

    @property
    def _url_module(self) -> Any:  # moto derives it from the module name; ours holds the URLs
        return sys.modules[__name__]

    def new_arn(self, kind: str) -> tuple[str, str]:
        resource_id = str(mock_random.uuid4())
        return f"arn:{self.partition}:oam:{self.region_name}:{self.account_id}:{kind}/{resource_id}", resource_id

    def resource(self, arn: str) -> dict[str, Any]:
        found = self.sinks.get(arn) or self.links.get(arn)
        if found is None:
            raise _not_found(arn)
        return found

    def iter_tagged_resources(self) -> Iterator[TaggedResource]:
        for kind, store in (("sink", self.sinks), ("link", self.links)):
            for arn, item in store.items():
                yield TaggedResource(arn=arn, tags=dict(item["Tags"]), resource_type=f"oam:{kind}")

    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        item = self.resource(arn)
        merged = {**item["Tags"], **tags}
        if len(merged) > MAX_TAGS:
            raise OamError("TooManyTagsException", f"A resource can have at most {MAX_TAGS} tags.")
        item["Tags"] = merged

    def untag_resource(self, arn: str, tag_keys: list[str]) -> None:
        item = self.resource(arn)
        item["Tags"] = {k: v for k, v in item["Tags"].items() if k not in tag_keys}


oam_backends = BackendDict(OAMBackend, "oam")


def _backend_for(account_id: str, region: str) -> OAMBackend:
    return oam_backends[account_id][region]


# -- sink policy -----------------------------------------------------------------------------

def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, account_id: str) -> bool:
    if principal == "*":
        return True
    values = _as_list(principal.get("AWS", [])) if isinstance(principal, dict) else []
    return any(v in ("*", account_id, f"arn:aws:iam::{account_id}:root") for v in values)


def _action_matches(actions: Any, action: str) -> bool:
    return any(a in ("*", "oam:*", action) for a in _as_list(actions))


def organization_of(account_id: str) -> str | None:
    """The ID of the organization (moto's Organizations) that `account_id` manages or is a
    member of, or None."""
    from moto.organizations.models import organizations_backends

    managed = organizations_backends[account_id]["aws"].org
    if managed is not None:
        return managed.id
    manager = organizations_backends.master_accounts.get(account_id)
    if manager is None:
        return None
    return organizations_backends[manager[0]][manager[1]].org.id


def _organization_allows(operator: str, wanted: Any, account_id: str) -> bool:
    """aws:PrincipalOrgID, a single-valued key: StringEquals and its ForAnyValue form."""
    if operator not in ("StringEquals", "ForAnyValue:StringEquals"):
        return True  # an operator this emulator does not evaluate
    return organization_of(account_id) in set(_as_list(wanted))


def _condition_allows(condition: dict[str, Any] | None, resource_types: list[str],
                      account_id: str) -> bool:
    for operator, tests in (condition or {}).items():
        if not isinstance(tests, dict):
            continue
        if "aws:PrincipalOrgID" in tests and not _organization_allows(
                operator, tests["aws:PrincipalOrgID"], account_id):
            return False
        wanted = tests.get("oam:ResourceTypes")
        if wanted is None:
            continue  # other condition keys cannot be evaluated here
        allowed = set(_as_list(wanted))
        if operator.startswith("ForAllValues:") and not set(resource_types) <= allowed:
            return False
        if operator.startswith("ForAnyValue:") and not set(resource_types) & allowed:
            return False
    return True


def policy_allows(policy: str | None, account_id: str, action: str, resource_types: list[str]) -> bool:
    if not policy:
        return False
    statements = _as_list(json.loads(policy).get("Statement", []))
    allowed = False
    for s in statements:
        if not (_principal_matches(s.get("Principal"), account_id) and _action_matches(s.get("Action"), action)):
            continue
        if s.get("Effect") == "Deny":
            return False
        if s.get("Effect") == "Allow" and _condition_allows(s.get("Condition"), resource_types,
                                                            account_id):
            allowed = True
    return allowed


# -- views -----------------------------------------------------------------------------------

def _sink_view(sink: dict[str, Any], include_tags: bool = True) -> dict[str, Any]:
    view = {"Arn": sink["Arn"], "Id": sink["Id"], "Name": sink["Name"]}
    if include_tags:
        view["Tags"] = sink["Tags"]
    return view


def _link_view(link: dict[str, Any], include_tags: bool = True) -> dict[str, Any]:
    view = {k: link[k] for k in ("Arn", "Id", "Label", "LabelTemplate", "ResourceTypes", "SinkArn")}
    if link.get("LinkConfiguration"):
        view["LinkConfiguration"] = link["LinkConfiguration"]
    if include_tags:
        view["Tags"] = link["Tags"]
    return view


def _label(template: str, account_id: str) -> str:
    return (template.replace("$AccountEmailNoDomain", account_id)
            .replace("$AccountEmail", f"{account_id}@example.com")
            .replace("$AccountName", account_id))


# -- responses -------------------------------------------------------------------------------

class OAMResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="oam")

    @property
    def backend(self) -> OAMBackend:
        return _backend_for(self.current_account, self.region)

    def _body(self) -> dict[str, Any]:
        try:
            return json.loads(self.body or "{}")
        except ValueError:
            raise _invalid("The request body is not valid JSON.")

    def _required(self, body: dict[str, Any], name: str) -> Any:
        if body.get(name) in (None, ""):
            raise _missing(name)
        return body[name]

    def _tags(self, tags: Any) -> dict[str, str]:
        tags = dict(tags or {})
        if len(tags) > MAX_TAGS:
            raise OamError("TooManyTagsException", f"A resource can have at most {MAX_TAGS} tags.")
        return tags

    def _page(self, items: list[dict[str, Any]], body: dict[str, Any], maximum: int) -> tuple[list, str | None]:
        limit = body.get("MaxResults", maximum)
        if not isinstance(limit, int) or not 1 <= limit <= maximum:
            raise _invalid(f"MaxResults must be between 1 and {maximum}.")
        try:
            return _common.paginate(items, key=lambda i: (i["Arn"],), limit=limit,
                                    token=body.get("NextToken"), kind=f"oam:{self._get_action()}")
        except _common.BadToken:
            raise _invalid("The NextToken is not valid.")

    def _own_sink(self, identifier: str) -> dict[str, Any]:
        sink = self.backend.sinks.get(identifier)
        if sink is None:
            raise _not_found(identifier)
        return sink

    def _own_link(self, identifier: str) -> dict[str, Any]:
        link = self.backend.links.get(identifier)
        if link is None:
            raise _not_found(identifier)
        return link

    # sinks
    def create_sink(self) -> str:
        body = self._body()
        name = self._required(body, "Name")
        if not _SINK_NAME.match(name):
            raise _invalid("Name must match ^[a-zA-Z0-9_\\.\\-]{1,255}$.")
        backend = self.backend
        if any(s["Name"] == name for s in backend.sinks.values()):
            raise OamError("ConflictException", f"A sink named {name} already exists.", 409)
        if backend.sinks:
            raise OamError("ServiceQuotaExceededException",
                           "An account can have only one sink per Region.", 402)
        arn, sink_id = backend.new_arn("sink")
        backend.sinks[arn] = {"Arn": arn, "Id": sink_id, "Name": name, "Tags": self._tags(body.get("Tags")),
                              "Policy": None}
        return json.dumps(_sink_view(backend.sinks[arn]))

    def get_sink(self) -> str:
        body = self._body()
        return json.dumps(_sink_view(self._own_sink(self._required(body, "Identifier")),
                                     include_tags=body.get("IncludeTags", False)))

    def list_sinks(self) -> str:
        page, token = self._page(list(self.backend.sinks.values()), self._body(), 100)
        return json.dumps({"Items": [_sink_view(s, include_tags=False) for s in page],
                           **({"NextToken": token} if token else {})})

    def delete_sink(self) -> str:
        sink = self._own_sink(self._required(self._body(), "Identifier"))
        if _attached_links(sink["Arn"]):
            raise OamError("ConflictException", "The sink has links attached; delete them first.", 409)
        del self.backend.sinks[sink["Arn"]]
        return "{}"

    def put_sink_policy(self) -> str:
        body = self._body()
        sink = self._own_sink(self._required(body, "SinkIdentifier"))
        policy = self._required(body, "Policy")
        try:
            document = json.loads(policy)
        except ValueError:
            raise _invalid("The policy is not valid JSON.")
        if not isinstance(document, dict) or "Statement" not in document:
            raise _invalid("The policy must be a JSON object with a Statement.")
        sink["Policy"] = policy
        return json.dumps({"SinkArn": sink["Arn"], "SinkId": sink["Id"], "Policy": policy})

    def get_sink_policy(self) -> str:
        sink = self._own_sink(self._required(self._body(), "SinkIdentifier"))
        view = {"SinkArn": sink["Arn"], "SinkId": sink["Id"]}
        if sink["Policy"]:
            view["Policy"] = sink["Policy"]
        return json.dumps(view)

    # links
    def _resource_types(self, body: dict[str, Any]) -> list[str]:
        types = self._required(body, "ResourceTypes")
        if not isinstance(types, list) or not 1 <= len(types) <= 50:
            raise _invalid("ResourceTypes must list 1 to 50 resource types.")
        for t in types:
            if t not in RESOURCE_TYPES:
                raise _invalid(f"Invalid resource type {t}. Valid values: {', '.join(RESOURCE_TYPES)}.")
        return list(dict.fromkeys(types))

    def create_link(self) -> str:
        body = self._body()
        template = self._required(body, "LabelTemplate")
        if not 1 <= len(template) <= 64:
            raise _invalid("LabelTemplate must be 1 to 64 characters long.")
        types = self._resource_types(body)
        sink_arn = self._required(body, "SinkIdentifier")
        sink = _find_sink(sink_arn)
        if sink is None:
            raise _not_found(sink_arn)
        account = self.current_account
        if _OAM_ARN.match(sink_arn).group(2) == account:
            raise _invalid("A source account cannot link to a sink in the same account.")
        if not policy_allows(sink["Policy"], account, "oam:CreateLink", types):
            raise OamError("AccessDeniedException",
                           f"User: arn:aws:iam::{account}:root is not authorized to perform: "
                           f"oam:CreateLink on resource: {sink_arn}", 403)
        backend = self.backend
        if any(link["SinkArn"] == sink_arn for link in backend.links.values()):
            raise OamError("ConflictException", f"This account already has a link to {sink_arn}.", 409)
        arn, link_id = backend.new_arn("link")
        backend.links[arn] = {
            "Arn": arn, "Id": link_id, "Label": _label(template, account), "LabelTemplate": template,
            "ResourceTypes": types, "SinkArn": sink_arn, "LinkConfiguration": body.get("LinkConfiguration"),
            "Tags": self._tags(body.get("Tags")),
        }
        return json.dumps(_link_view(backend.links[arn]))

    def get_link(self) -> str:
        body = self._body()
        return json.dumps(_link_view(self._own_link(self._required(body, "Identifier")),
                                     include_tags=body.get("IncludeTags", False)))

    def update_link(self) -> str:
        body = self._body()
        link = self._own_link(self._required(body, "Identifier"))
        types = self._resource_types(body)
        sink = _find_sink(link["SinkArn"])
        if sink is not None and not policy_allows(sink["Policy"], self.current_account, "oam:UpdateLink", types) \
                and not policy_allows(sink["Policy"], self.current_account, "oam:CreateLink", types):
            raise OamError("AccessDeniedException",
                           f"User: arn:aws:iam::{self.current_account}:root is not authorized to perform: "
                           f"oam:UpdateLink on resource: {link['SinkArn']}", 403)
        link["ResourceTypes"] = types
        if "LinkConfiguration" in body:
            link["LinkConfiguration"] = body["LinkConfiguration"]
        return json.dumps(_link_view(link, include_tags=body.get("IncludeTags", False)))

    def list_links(self) -> str:
        page, token = self._page(list(self.backend.links.values()), self._body(), 5)
        items = [{k: link[k] for k in ("Arn", "Id", "Label", "ResourceTypes", "SinkArn")} for link in page]
        return json.dumps({"Items": items, **({"NextToken": token} if token else {})})

    def delete_link(self) -> str:
        link = self._own_link(self._required(self._body(), "Identifier"))
        del self.backend.links[link["Arn"]]
        return "{}"

    def list_attached_links(self) -> str:
        body = self._body()
        sink = self._own_sink(self._required(body, "SinkIdentifier"))
        page, token = self._page(_attached_links(sink["Arn"]), body, 1000)
        items = [{"Label": link["Label"], "LinkArn": link["Arn"], "ResourceTypes": link["ResourceTypes"]}
                 for link in page]
        return json.dumps({"Items": items, **({"NextToken": token} if token else {})})

    # tags
    def _tag_arn(self) -> str:
        arn = unquote(self.path.split("/tags/", 1)[1].split("?", 1)[0])
        match = _OAM_ARN.match(arn)
        if not match:
            raise OamError("ValidationException", f"Invalid ARN: {arn}")
        if match.group(2) != self.current_account:
            raise _not_found(arn)
        return arn

    def list_tags_for_resource(self) -> str:
        return json.dumps({"Tags": self.backend.resource(self._tag_arn())["Tags"]})

    def tag_resource(self) -> str:
        arn = self._tag_arn()
        self.backend.tag_resource(arn, self._tags(self._body().get("Tags")))
        return "{}"

    def untag_resource(self) -> str:
        arn = self._tag_arn()
        self.backend.untag_resource(arn, self.querystring.get("tagKeys", []))
        return "{}"


def _find_sink(arn: str) -> dict[str, Any] | None:
    match = _OAM_ARN.match(arn or "")
    if not match or match.group(3) != "sink":
        return None
    return _backend_for(match.group(2), match.group(1)).sinks.get(arn)


def _attached_links(sink_arn: str) -> list[dict[str, Any]]:
    region = _OAM_ARN.match(sink_arn).group(1)
    found = []
    for account_id in list(oam_backends.keys()):
        regional = oam_backends[account_id]
        if region in regional:
            found += [link for link in regional[region].links.values() if link["SinkArn"] == sink_arn]
    return found


url_bases = [r"https?://oam\.(.+)\.amazonaws\.com"]
url_paths = {
    "{0}/(?P<operation>[A-Za-z]+)$": OAMResponse.dispatch,
    "{0}/tags/(?P<arn>.+)$": OAMResponse.dispatch,
}


def install() -> None:
    """Make ``oam`` a moto service: importable as ``moto.oam`` (how moto finds a backend by
    name) and routed by host name like moto's own services."""
    from moto import backend_index

    sys.modules.setdefault("moto.oam", sys.modules[__name__])
    if not any(name == "oam" for name, _ in backend_index.backend_url_patterns):
        backend_index.backend_url_patterns.append(("oam", re.compile(url_bases[0])))
