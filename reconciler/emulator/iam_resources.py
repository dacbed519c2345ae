"""IAM enforcement (`INITIAL_NO_AUTH_ACTION_COUNT`, `POST /moto-api/reset-auth`) that checks
the resource a request acts on, as AWS does, instead of "*".

moto evaluates most requests against the resource "*": a policy that allows PutMetricAlarm
only on `alarm:a-*` would be denied every alarm, although AWS allows `a-1`. For the write
operations whose resource type the Service Authorization Reference lists (alarms, dashboards,
log groups, log anomaly detectors, topics, rules, monitoring schedules, job definitions), and for
the troubleshooting commands' SetAlarmState, StartQuery and CreateExportTask, the ARN of the
resource is derived from the request parameters and each one is checked (DeleteAlarms names
several). Other operations keep moto's "*".

moto also names actions after the signing name of the service (`monitoring:PutMetricAlarm`,
`tagging:GetResources`); IAM policies use the service prefix (`cloudwatch:`, `tag:`).

moto checks a request's signature over its form data when it has no body, and takes the
query string, or else the headers, for that form data: every GET without a body (Lambda's
ListFunctions) failed with SignatureDoesNotMatch. SigV4 signs the payload as sent, so a GET,
HEAD or DELETE is checked over its raw body, empty or not (a form POST's body is its form).
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Callable

from botocore.awsrequest import AWSRequest
from moto import settings
from werkzeug.exceptions import HTTPException
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import ServiceException, _RESTError
from moto.core.responses import ActionResult
from moto.iam.access_control import IAMRequestBase
from moto.utilities.utils import get_partition

from ._common import original, patch

# moto modules whose refusals are answered in the service's own protocol, and the code AWS
# gives an access denial there (SNS: AuthorizationError; JSON services: AccessDeniedException).
_DENIAL_CODES = {"applicationautoscaling": "AccessDeniedException",
                 "awslambda": "AccessDeniedException", "cloudwatch": "AccessDenied",
                 "events": "AccessDeniedException", "logs": "AccessDeniedException",
                 "resourcegroupstaggingapi": "AccessDeniedException",
                 "sagemaker": "AccessDeniedException", "sns": "AuthorizationError"}
# moto's action prefix (the signing name) -> the IAM service prefix.
_IAM_PREFIX = {"monitoring": "cloudwatch", "tagging": "tag"}


class _Request:
    """What an ARN is made of: the request's parameters, account, region and partition."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.account = response.current_account
        self.region = response.region
        self.partition = get_partition(response.region)

    def param(self, name: str) -> Any:
        return self.response._get_param(name)

    def names(self, name: str) -> list[str]:
        value = self.param(name)
        if value is None and hasattr(self.response, "_get_multi_param"):
            value = self.response._get_multi_param(f"{name}.member") or None
        return [value] if isinstance(value, str) else list(value or [])

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        region = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{region}:{self.account}:{resource}"


def _alarms(r: _Request) -> list[str]:
    return [r.arn("cloudwatch", f"alarm:{n}") for n in r.names("AlarmName") + r.names("AlarmNames")]


def _dashboards(r: _Request) -> list[str]:
    names = r.names("DashboardName") + r.names("DashboardNames")
    return [r.arn("cloudwatch", f"dashboard/{n}", region="") for n in names]


def _given(parameter: str) -> Callable[[_Request], list[str]]:
    return lambda r: r.names(parameter)


def _log_group(r: _Request) -> list[str]:
    return [r.arn("logs", f"log-group:{n}") for n in r.names("logGroupName")]


def _queried_log_groups(r: _Request) -> list[str]:
    """StartQuery names its groups by name (logGroupName, logGroupNames) or by ARN
    (logGroupIdentifiers); IAM checks the log-group ARN, without a trailing `:*`."""
    names = r.names("logGroupName") + r.names("logGroupNames")
    given = [i.removesuffix(":*") for i in r.names("logGroupIdentifiers")]
    return [r.arn("logs", f"log-group:{n}") for n in names] + [
        i if i.startswith("arn:") else r.arn("logs", f"log-group:{i}") for i in given]


def _topic_by_name(r: _Request) -> list[str]:
    return [r.arn("sns", n) for n in r.names("Name")]


def _rule(parameter: str) -> Callable[[_Request], list[str]]:
    def arns(r: _Request) -> list[str]:
        bus = (r.param("EventBusName") or "default").split("/")[-1]
        prefix = "rule/" if bus == "default" else f"rule/{bus}/"
        return [r.arn("events", prefix + n) for n in r.names(parameter)]
    return arns


def _sagemaker(resource_type: str, parameter: str) -> Callable[[_Request], list[str]]:
    # SageMaker writes names into its ARNs in lower case.
    return lambda r: [r.arn("sagemaker", f"{resource_type}/{n.lower()}") for n in r.names(parameter)]


def _job_definitions() -> dict[str, Callable[[_Request], list[str]]]:
    found = {}
    for monitoring_type in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"):
        resource_type = re.sub(r"(?<!^)(?=[A-Z])", "-", monitoring_type).lower() + "-job-definition"
        for verb in ("Create", "Delete"):
            found[f"{verb}{monitoring_type}JobDefinition"] = _sagemaker(resource_type, "JobDefinitionName")
    return found


# moto module (service) -> operation -> the ARNs it acts on.
RESOURCES: dict[str, dict[str, Callable[[_Request], list[str]]]] = {
    "cloudwatch": {
        "PutMetricAlarm": _alarms, "PutCompositeAlarm": _alarms, "DeleteAlarms": _alarms,
        "SetAlarmState": _alarms,
        "TagResource": _given("ResourceARN"), "UntagResource": _given("ResourceARN"),
        "PutDashboard": _dashboards, "DeleteDashboards": _dashboards,
    },
    "logs": {
        **{operation: _log_group for operation in (
            "CreateLogGroup", "DeleteLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy",
            "AssociateKmsKey", "DisassociateKmsKey", "PutMetricFilter", "DeleteMetricFilter",
            "PutSubscriptionFilter", "DeleteSubscriptionFilter", "CreateExportTask")},
        "StartQuery": _queried_log_groups,
        "TagResource": _given("resourceArn"), "UntagResource": _given("resourceArn"),
        # An anomaly detector is created on the log group it watches (the group's ARN, with or
        # without `:*`); it is updated and deleted as itself.
        "CreateLogAnomalyDetector": lambda r: [arn.removesuffix(":*")
                                               for arn in r.names("logGroupArnList")],
        "UpdateLogAnomalyDetector": _given("anomalyDetectorArn"),
        "DeleteLogAnomalyDetector": _given("anomalyDetectorArn"),
    },
    "sns": {
        "CreateTopic": _topic_by_name,
        **{operation: _given("TopicArn") for operation in (
            "DeleteTopic", "SetTopicAttributes", "Subscribe")},
        "TagResource": _given("ResourceArn"), "UntagResource": _given("ResourceArn"),
    },
    "events": {
        "PutRule": _rule("Name"), "DeleteRule": _rule("Name"),
        "PutTargets": _rule("Rule"), "RemoveTargets": _rule("Rule"),
        "TagResource": _given("ResourceARN"), "UntagResource": _given("ResourceARN"),
    },
    "sagemaker": {
        **{f"{verb}MonitoringSchedule": _sagemaker("monitoring-schedule", "MonitoringScheduleName")
           for verb in ("Create", "Update", "Delete")},
        **_job_definitions(),
        "AddTags": _given("ResourceArn"), "DeleteTags": _given("ResourceArn"),
    },
}


def request_resources(response: Any) -> list[str] | None:
    """The ARNs this request acts on, or None: moto's "*"."""
    service = type(response).__module__.split(".")[1]
    derive = RESOURCES.get(service, {}).get(response._get_action())
    if derive is None:
        return None
    return derive(_Request(response)) or None


def _enforcing() -> bool:
    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


def _authorize(self, resource: str = "*") -> None:
    authorize = original(ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action")
    resources = request_resources(self) if _enforcing() else None
    for arn in resources or [resource]:  # one call while not enforcing: it counts requests
        try:
            authorize(self, arn)
        except _RESTError as error:
            if type(self).__module__.split(".")[1] not in _DENIAL_CODES:
                raise
            raise _service_error(self, error, arn) from None


class _Refusal(ServiceException):
    """Defined outside moto's packages: moto would look its module up as a service model."""


def _service_error(response: Any, error: _RESTError, resource: str) -> HTTPException:
    """moto answers a refusal in XML whatever the protocol; botocore then cannot read the
    code of a JSON or CBOR service's error (CloudWatch's came out as "403"). Answer in the
    service's protocol, with the resource in the message, as AWS does."""
    code, message = error.error_type, error.message
    if code == "AccessDenied":
        code = _DENIAL_CODES[type(response).__module__.split(".")[1]]
        if resource != "*":
            action = message.rsplit(": ", 1)[-1]
            message += (f" on resource: {resource} because no identity-based policy allows "
                        f"the {action} action")
    with warnings.catch_warnings():  # moto warns of codes missing from the service model
        warnings.simplefilter("ignore")
        status, headers, body = response.serialized(ActionResult(_Refusal(code, message)))
    response.response_headers.update(headers)  # call_action answers with these headers
    refusal = HTTPException(description=body)
    refusal.code = error.code
    return refusal


def _init_request(self, *args: Any, **kwargs: Any) -> None:
    original(IAMRequestBase, "__init__")(self, *args, **kwargs)
    prefix, _, action = self._action.partition(":")
    self._action = f"{_IAM_PREFIX.get(prefix, prefix)}:{action}"


def _signed_request(self) -> AWSRequest:
    request = original(IAMRequestBase, "_create_aws_request")(self)
    if self._method in ("GET", "HEAD", "DELETE"):
        request.data = self._body or b""  # what the client signed: the payload as sent
    return request


def install() -> None:
    patch(ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action", _authorize)
    patch(IAMRequestBase, "__init__", _init_request)
    patch(IAMRequestBase, "_create_aws_request", _signed_request)
