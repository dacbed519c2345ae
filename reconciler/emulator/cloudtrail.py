"""CloudTrail event history: management events recorded by the emulator, and LookupEvents.

moto 5.2.5 has no event history (LookupEvents answers 500). Here:

- ``recording(app)`` wraps the server's WSGI app. Every signed request that reaches the emulator
  and is a *write* (Put*/Create*/Delete*/Update*/Tag*/Untag*/Set*/...) answered with 2xx becomes
  one management event, as CloudTrail would log it: EventId, EventName (the operation, from
  ``X-Amz-Target``, ``Action=`` or the RPCv2 path), EventTime, EventSource
  (``<signing name>.amazonaws.com``; IAM events land in us-east-1, as in AWS), Username,
  AccessKeyId, Resources (from the request parameters: alarm, dashboard, log group, topic, ...)
  and the CloudTrailEvent JSON (userIdentity, userAgent, sourceIPAddress, requestParameters,
  ...). Reads are not recorded (CloudTrail logs them, but nothing here looks them up).
- The identity comes from the access key the way moto resolves it: an IAM user's key gives
  ``IAMUser`` with the user name, a key from ``sts:AssumeRole`` gives ``AssumedRole`` with the
  role session name as Username, any other key is the account's root (Username ``root``).
- ``LookupEvents`` (API reference 2013-11-01): exactly one LookupAttribute (EventId, EventName,
  ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId), StartTime/EndTime,
  MaxResults 1..50 (default 50), NextToken tied to the request's filters, newest first, per
  account and region; InvalidLookupAttributesException, InvalidMaxResultsException,
  InvalidTimeRangeException, InvalidNextTokenException, InvalidEventCategoryException.

Events live on moto's CloudTrail backend, so ``/moto-api/reset`` clears them. Limits: request
parameters of Smithy RPCv2 CBOR requests are not decoded (their events have no Resources and
``requestParameters: null``); events are kept for the life of the process (no 90-day expiry).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from moto.cloudtrail.models import cloudtrail_backends
from moto.cloudtrail.responses import CloudTrailResponse
from moto.core.exceptions import JsonRESTError

from . import _common
from ._common import BadToken, patch

log = logging.getLogger(__name__)

WRITE_PREFIXES = ("Put", "Create", "Delete", "Update", "Tag", "Untag", "Set", "Associate",
                  "Disassociate", "Subscribe", "Unsubscribe", "Register", "Deregister", "Enable",
                  "Disable", "Add", "Remove", "Attach", "Detach", "Modify", "Confirm")
# Writes whose verb is not one of the prefixes (Start/Stop also begin reads such as Logs
# StartQuery): CloudTrail logs these as management events with readOnly false.
WRITE_OPERATIONS = {"StartMonitoringSchedule", "StopMonitoringSchedule"}
LOOKUP_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName",
               "EventSource", "AccessKeyId")
MAX_RESULTS = 50
GLOBAL_SERVICES = {"iam": "us-east-1"}  # global services log their events in us-east-1
_lock = threading.Lock()


# -- errors (JSON protocol, as the CloudTrail API reference names them) ----------------------

class _Error(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__(type(self).__name__, message)


class InvalidLookupAttributesException(_Error):
    pass


class InvalidMaxResultsException(_Error):
    pass


class InvalidTimeRangeException(_Error):
    pass


class InvalidNextTokenException(_Error):
    pass


class InvalidEventCategoryException(_Error):
    pass


# -- recording --------------------------------------------------------------------------------

def _events(account_id: str, region: str) -> list[dict[str, Any]]:
    return _common.state(cloudtrail_backends[account_id][region], "obsctl_events", list)


def is_write(operation: str | None) -> bool:
    return bool(operation) and (operation.startswith(WRITE_PREFIXES)  # type: ignore[union-attr]
                                or operation in WRITE_OPERATIONS)


def recording(app: Callable) -> Callable:
    """WSGI middleware around moto's app: records successful write requests as events."""

    def wrapped(environ: dict, start_response: Callable) -> Iterable[bytes]:
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if environ.get("REQUEST_METHOD") != "POST" or "Credential=" not in authorization:
            return app(environ, start_response)
        body = _buffer_body(environ)
        request = _classify(environ, body)
        if not is_write(request.get("operation")):
            return app(environ, start_response)
        status: list[str] = []

        def capture(code: str, headers: list, exc_info: Any = None) -> Callable:
            status.append(code)
            return start_response(code, headers, exc_info) if exc_info else start_response(code, headers)

        result = app(environ, capture)
        if status and status[0].startswith("2"):
            try:
                record(request, environ, body)
            except Exception:  # never fail the request the event is about
                log.exception("could not record a CloudTrail event for %s", request.get("operation"))
        return result

    return wrapped


def _buffer_body(environ: dict) -> bytes:
    """Read the body once and put it back for moto."""
    length = environ.get("CONTENT_LENGTH")
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        return b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _classify(environ: dict, body: bytes) -> dict[str, Any]:
    """Operation, signing service, region, access key and parameters of a signed request."""
    path = environ.get("PATH_INFO", "")
    content_type = environ.get("CONTENT_TYPE", "")
    target = environ.get("HTTP_X_AMZ_TARGET")
    params: Any = None
    if "/operation/" in path:  # Smithy RPCv2 CBOR: POST /service/{Service}/operation/{Op}
        operation = path.rstrip("/").rsplit("/operation/", 1)[-1]
    elif target:
        operation = target.rsplit(".", 1)[-1]
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = None
    else:
        values = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        if environ.get("QUERY_STRING"):
            values += urllib.parse.parse_qsl(environ["QUERY_STRING"], keep_blank_values=True)
        flat = dict(values)
        operation = flat.pop("Action", None)
        flat.pop("Version", None)
        params = unflatten(flat) if "x-www-form-urlencoded" in content_type or operation else None
    scope = environ.get("HTTP_AUTHORIZATION", "").split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return {
        "operation": operation,
        "access_key": scope[0],
        "region": scope[2] if len(scope) > 2 else "us-east-1",
        "service": scope[3] if len(scope) > 3 else "unknown",
        "params": params,
    }


def unflatten(flat: dict[str, str]) -> dict[str, Any]:
    """Query-protocol parameters (``Tags.member.1.Key=k``) as the structure they encode."""
    root: dict[str, Any] = {}
    for key, value in flat.items():
        node = root
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # `A=x` and `A.b=y`: keep the scalar
                break
            node = child
        else:
            node.setdefault(parts[-1], value)

    def convert(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        if len(node) == 1 and next(iter(node)) in ("member", "entry") and isinstance(
                next(iter(node.values())), dict):
            node = next(iter(node.values()))
        if node and all(k.isdigit() for k in node):
            return [convert(node[k]) for k in sorted(node, key=int)]
        return {k: convert(v) for k, v in node.items()}

    return convert(root)


# Request parameters naming the resource(s) an operation acts on, per signing name, and the
# CloudTrail resource type they have. ARNs get their type from the ARN itself.
_RESOURCE_PARAMS: dict[str, list[tuple[str, str | None]]] = {
    "monitoring": [("AlarmName", "AWS::CloudWatch::Alarm"), ("AlarmNames", "AWS::CloudWatch::Alarm"),
                   ("DashboardName", "AWS::CloudWatch::Dashboard"),
                   ("DashboardNames", "AWS::CloudWatch::Dashboard"), ("ResourceARN", None)],
    "logs": [("logGroupName", "AWS::Logs::LogGroup"), ("logGroupIdentifier", "AWS::Logs::LogGroup"),
             ("resourceArn", None), ("queryDefinitionId", "AWS::Logs::QueryDefinition"),
             ("anomalyDetectorArn", "AWS::Logs::LogAnomalyDetector")],
    "sns": [("TopicArn", "AWS::SNS::Topic"), ("ResourceArn", None),
            ("SubscriptionArn", "AWS::SNS::Subscription")],
    "events": [("Name", "AWS::Events::Rule"), ("Rule", "AWS::Events::Rule"), ("ResourceARN", None)],
    "sagemaker": [("EndpointName", "AWS::SageMaker::Endpoint"),
                  ("EndpointConfigName", "AWS::SageMaker::EndpointConfig"),
                  ("ModelName", "AWS::SageMaker::Model"),
                  ("MonitoringScheduleName", "AWS::SageMaker::MonitoringSchedule"),
                  ("ResourceArn", None)],
    "application-autoscaling": [("ResourceId", "AWS::ApplicationAutoScaling::ScalableTarget"),
                                ("PolicyName", "AWS::ApplicationAutoScaling::ScalingPolicy")],
    "iam": [("UserName", "AWS::IAM::User"), ("RoleName", "AWS::IAM::Role"),
            ("PolicyArn", "AWS::IAM::Policy")],
    "tagging": [("ResourceARNList", None)],
}
_ARN_TYPES = {("cloudwatch", "alarm"): "AWS::CloudWatch::Alarm",
              ("cloudwatch", "dashboard"): "AWS::CloudWatch::Dashboard",
              ("logs", "log-group"): "AWS::Logs::LogGroup", ("sns", ""): "AWS::SNS::Topic",
              ("events", "rule"): "AWS::Events::Rule", ("sagemaker", "endpoint"): "AWS::SageMaker::Endpoint"}


def _arn_type(arn: str) -> str:
    parts = arn.split(":", 6)
    if len(parts) < 6:
        return "AWS::Unknown::Resource"
    service, resource = parts[2], parts[5]
    prefix = resource.split("/", 1)[0] if "/" in resource else (
        resource.split(":", 1)[0] if ":" in resource else "")
    return _ARN_TYPES.get((service, prefix)) or _ARN_TYPES.get((service, "")) or \
        f"AWS::{service.capitalize()}::{prefix.capitalize() or 'Resource'}"


def resources(service: str, operation: str, params: Any, region: str, account_id: str) -> list[dict[str, str]]:
    if not isinstance(params, dict):
        return []
    found: list[dict[str, str]] = []

    def add(name: Any, kind: str | None) -> None:
        if isinstance(name, str) and name:
            entry = {"ResourceType": kind or _arn_type(name), "ResourceName": name}
            if entry not in found:
                found.append(entry)

    for key, kind in _RESOURCE_PARAMS.get(service, []):
        value = params.get(key)
        for name in value if isinstance(value, list) else [value]:
            add(name, kind)
    if service == "sns" and operation == "CreateTopic":
        add(f"arn:aws:sns:{region}:{account_id}:{params.get('Name')}", "AWS::SNS::Topic")
    if service == "sns" and isinstance(params.get("SubscriptionArn"), str):
        add(params["SubscriptionArn"].rsplit(":", 1)[0], "AWS::SNS::Topic")  # its topic
    return found


def _identity(access_key: str) -> tuple[str, dict[str, Any]]:
    """(Username, userIdentity) of an access key, as moto resolves keys."""
    from moto.iam.models import get_account_id_from, iam_backends
    from moto.sts.models import sts_backends

    account_id = get_account_id_from(access_key)
    identity: dict[str, Any] = {"accountId": account_id, "accessKeyId": access_key}
    for partition in list(iam_backends[account_id].keys()):
        user = iam_backends[account_id][partition].get_user_from_access_key_id(access_key)
        if user is not None:
            identity.update(type="IAMUser", principalId=user.id, arn=user.arn, userName=user.name)
            return user.name, identity
    role = sts_backends[account_id]["global"].get_assumed_role_from_access_key(access_key)
    if role is not None:
        role_name = role.role_arn.rsplit("/", 1)[-1]
        identity.update(type="AssumedRole", arn=f"arn:aws:sts::{account_id}:assumed-role/"
                                                  f"{role_name}/{role.session_name}",
                        sessionContext={"sessionIssuer": {"type": "Role", "arn": role.role_arn,
                                                          "userName": role_name}})
        return role.session_name, identity
    identity.update(type="Root", principalId=account_id, arn=f"arn:aws:iam::{account_id}:root")
    return "root", identity


def record(request: dict[str, Any], environ: dict, body: bytes) -> dict[str, Any]:
    username, identity = _identity(request["access_key"])
    account_id = identity["accountId"]
    service = request["service"]
    region = GLOBAL_SERVICES.get(service, request["region"])
    source = f"{service}.amazonaws.com"
    now = datetime.now(timezone.utc)
    event_id = str(uuid.uuid4())
    operation = request["operation"]
    detail = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": operation,
        "awsRegion": region,
        "sourceIPAddress": environ.get("REMOTE_ADDR", "127.0.0.1"),
        "userAgent": environ.get("HTTP_USER_AGENT", ""),
        "requestParameters": request["params"],
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }
    event = {
        "EventId": event_id,
        "EventName": operation,
        "ReadOnly": "false",
        "AccessKeyId": request["access_key"],
        "EventTime": now.timestamp(),
        "EventSource": source,
        "Username": username,
        "Resources": resources(service, operation, request["params"], region, account_id),
        "CloudTrailEvent": json.dumps(detail, default=str),
    }
    with _lock:
        events = _events(account_id, region)
        event["_seq"] = len(events)
        events.append(event)
    return event


# -- LookupEvents -----------------------------------------------------------------------------

def _time(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InvalidTimeRangeException(f"{name} is not a valid timestamp.") from None


def _matches(event: dict[str, Any], key: str, value: str) -> bool:
    if key == "ResourceName":
        return any(r["ResourceName"] == value for r in event["Resources"])
    if key == "ResourceType":
        return any(r["ResourceType"] == value for r in event["Resources"])
    return event.get(key) == value


def lookup_events(self: CloudTrailResponse) -> str:
    try:
        request = json.loads(self.body or "{}")
    except ValueError:
        request = {}
    attributes = request.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise InvalidLookupAttributesException("You cannot specify more than one lookup attribute.")
    for attribute in attributes:
        key, value = attribute.get("AttributeKey"), attribute.get("AttributeValue")
        if key not in LOOKUP_KEYS:
            raise InvalidLookupAttributesException(
                f"Lookup attribute key {key!r} is not valid. Valid keys: {', '.join(LOOKUP_KEYS)}.")
        if not isinstance(value, str) or not 1 <= len(value) <= 2000:
            raise InvalidLookupAttributesException(
                "AttributeValue must have a length between 1 and 2000.")
    category = request.get("EventCategory")
    if category is not None and category != "insight":
        raise InvalidEventCategoryException(f"Event category {category!r} is not valid; "
                                            "the only valid value is insight.")
    limit = request.get("MaxResults", MAX_RESULTS)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_RESULTS:
        raise InvalidMaxResultsException(f"MaxResults must be between 1 and {MAX_RESULTS}.")
    now = datetime.now(timezone.utc)
    start = _time(request.get("StartTime"), "StartTime")
    end = _time(request.get("EndTime"), "EndTime")
    if start is not None and end is not None and start > end:
        raise InvalidTimeRangeException("Start time cannot be after end time.")
    # The token is tied to the request's filters, as AWS's is.
    filters = json.dumps([attributes, request.get("StartTime"), request.get("EndTime"), category],
                         sort_keys=True, default=str)
    kind = "cloudtrail:LookupEvents:" + hashlib.sha256(filters.encode()).hexdigest()[:16]
    with _lock:
        events = list(_events(self.current_account, self.region))
    if category == "insight":
        events = []  # only management events are recorded
    oldest = (now - timedelta(days=90)).timestamp()
    selected = [e for e in events
                if e["EventTime"] >= max(start or oldest, oldest)
                and (end is None or e["EventTime"] <= end)
                and all(_matches(e, a["AttributeKey"], a["AttributeValue"]) for a in attributes)]
    try:
        page, token = _common.paginate(selected, key=lambda e: (-e["EventTime"], -e["_seq"]),
                                       limit=limit, token=request.get("NextToken"), kind=kind)
    except BadToken:
        raise InvalidNextTokenException("The token is not valid, or was issued for a request "
                                        "with other parameters.") from None
    result: dict[str, Any] = {"Events": [{k: v for k, v in e.items() if k != "_seq"} for e in page]}
    if token:
        result["NextToken"] = token
    return json.dumps(result)


def install() -> None:
    patch(CloudTrailResponse, "lookup_events", lookup_events)
