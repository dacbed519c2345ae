"""CloudWatch Logs export tasks to S3, as the Logs user guide ("Exporting log data to Amazon S3")
and API reference describe them.

moto 5.2.5 exports synchronously into ``prefix/<random uuid>/<stream with / replaced>/``, never
checks the bucket policy, allows any number of tasks at once and reports status code ``active``
for an empty time range. Here:
- one export task per account can be active (PENDING or RUNNING) at a time; another
  CreateExportTask meanwhile is LimitExceededException;
- the bucket must exist and its policy must allow the service principal
  ``logs.REGION.amazonaws.com`` ``s3:GetBucketAcl`` on the bucket and ``s3:PutObject`` on its
  objects, else InvalidParameterException with AWS's message;
- a task starts PENDING; each DescribeExportTasks answers with the tasks as they are, then
  carries out the active ones (COMPLETED): so the first Describe after CreateExportTask sees the
  task PENDING, as a client waiting for the account's active task must be able to, and the next
  one COMPLETED. Carrying a task out, CloudWatch Logs writes ``PREFIX/aws-logs-write-test``
  and, per log stream with events in [from, to], ``PREFIX/TASK_ID/STREAM/000000.gz`` holding
  one ``<ISO-8601 UTC timestamp> <message>`` line per event (PREFIX defaults to
  ``exportedlogs``);
- CancelExportTask cancels a PENDING/RUNNING task and refuses a finished one
  (InvalidOperationException);
- DescribeExportTasks filters by taskId or statusCode and pages with limit (≤50) and nextToken.
"""

from __future__ import annotations

import fnmatch
import gzip
import json
from datetime import datetime, timezone
from typing import Any

from moto.core.utils import unix_time_millis, utcnow
from moto.logs.exceptions import (
    InvalidParameterException,
    LimitExceededException,
    LogsClientError,
    ResourceNotFoundException,
)
from moto.logs.models import LogsBackend
from moto.logs.responses import LogsResponse
from moto.moto_api._internal import mock_random

from . import _common
from ._common import patch

ACTIVE = ("PENDING", "RUNNING")
STATUS_CODES = ("CANCELLED", "COMPLETED", "FAILED", "PENDING", "PENDING_CANCEL", "RUNNING")
DEFAULT_PREFIX = "exportedlogs"
_PERMISSION_MESSAGE = ("{action} call on the given bucket failed. Please check if CloudWatch Logs has been "
                       "granted permission to perform this operation.")


class InvalidOperationException(LogsClientError):
    def __init__(self, msg: str) -> None:
        super().__init__("InvalidOperationException", msg)


def _tasks(backend: LogsBackend) -> dict[str, dict[str, Any]]:
    return _common.state(backend, "obsctl_export_tasks", dict)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _policy_grants(policy: dict[str, Any], principal: str, action: str, resource: str) -> bool:
    """An Allow statement for the service principal, the action and the resource (no Deny)."""
    allowed = False
    for statement in _as_list(policy.get("Statement", [])):
        who = statement.get("Principal")
        services = _as_list(who.get("Service", [])) if isinstance(who, dict) else [who]
        if principal not in services and "*" not in services:
            continue
        if not any(fnmatch.fnmatchcase(action, a) or a == "*" for a in _as_list(statement.get("Action", []))):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _as_list(statement.get("Resource", []))):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _s3(backend: LogsBackend) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[backend.account_id][backend.partition]


def _check_bucket(backend: LogsBackend, bucket_name: str, prefix: str) -> None:
    from moto.s3.exceptions import MissingBucket

    try:
        bucket = _s3(backend).get_bucket(bucket_name)
    except MissingBucket:
        raise InvalidParameterException(msg="The given bucket does not exist. Please make sure the bucket is valid.")
    try:
        policy = json.loads(bucket.policy.decode()) if bucket.policy else {}
    except ValueError:
        policy = {}
    principal = f"logs.{backend.region_name}.amazonaws.com"
    bucket_arn = f"arn:aws:s3:::{bucket_name}"
    if not _policy_grants(policy, principal, "s3:GetBucketAcl", bucket_arn):
        raise InvalidParameterException(msg=_PERMISSION_MESSAGE.format(action="GetBucketAcl"))
    if not _policy_grants(policy, principal, "s3:PutObject", f"{bucket_arn}/{prefix}/aws-logs-write-test"):
        raise InvalidParameterException(msg=_PERMISSION_MESSAGE.format(action="PutObject"))


def _iso(millis: int) -> str:
    moment = datetime.fromtimestamp(millis / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _run(backend: LogsBackend, task: dict[str, Any]) -> None:
    """Write the task's events to S3 and complete it."""
    s3 = _s3(backend)
    prefix = task["destinationPrefix"]
    s3.put_object(bucket_name=task["destination"], key_name=f"{prefix}/aws-logs-write-test",
                  value=b"Permission Check Successful")
    group = backend.groups.get(task["logGroupName"])
    streams = group.streams if group is not None else {}
    for stream_name, stream in sorted(streams.items()):
        if task.get("logStreamNamePrefix") and not stream_name.startswith(task["logStreamNamePrefix"]):
            continue
        events = sorted((e for e in stream.events if task["from"] <= e.timestamp <= task["to"]),
                        key=lambda e: e.timestamp)
        if not events:
            continue
        body = "".join(f"{_iso(e.timestamp)} {e.message}\n" for e in events)
        s3.put_object(bucket_name=task["destination"], key_name=f"{prefix}/{task['taskId']}/{stream_name}/000000.gz",
                      value=gzip.compress(body.encode()))
    task["status"] = {"code": "COMPLETED", "message": "Completed successfully"}
    task["executionInfo"]["completionTime"] = int(unix_time_millis(utcnow()))


def create_export_task(self: LogsResponse) -> str:
    backend = self.logs_backend
    group_name, destination = self._get_param("logGroupName"), self._get_param("destination")
    start, end = self._get_param("from"), self._get_param("to")
    for name, value in (("logGroupName", group_name), ("destination", destination), ("from", start), ("to", end)):
        if value is None:
            raise InvalidParameterException(msg=f"{name} is required.")
    if group_name not in backend.groups:
        raise ResourceNotFoundException()
    if start > end:
        raise InvalidParameterException(
            msg=f"Specified time range of '{start}' and '{end}' is not valid. Please make sure the values are "
            "within the retention period of the log group and from value is less than the to values")
    if any(t["status"]["code"] in ACTIVE for t in _tasks(backend).values()):
        raise LimitExceededException()
    prefix = (self._get_param("destinationPrefix") or DEFAULT_PREFIX).strip("/")
    _check_bucket(backend, destination, prefix)
    task_id = str(mock_random.uuid4())
    task = {
        "taskId": task_id, "logGroupName": group_name, "from": start, "to": end,
        "destination": destination, "destinationPrefix": prefix,
        "status": {"code": "PENDING", "message": "Pending"},
        "executionInfo": {"creationTime": int(unix_time_millis(utcnow()))},
    }
    for optional in ("taskName", "logStreamNamePrefix"):
        if self._get_param(optional) is not None:
            task[optional] = self._get_param(optional)
    _tasks(backend)[task_id] = task
    return json.dumps({"taskId": task_id})


def describe_export_tasks(self: LogsResponse) -> str:
    backend = self.logs_backend
    task_id, status = self._get_param("taskId"), self._get_param("statusCode")
    if status is not None and status not in STATUS_CODES:
        raise InvalidParameterException(constraint=f"Member must satisfy enum value set: [{', '.join(STATUS_CODES)}]",
                                        parameter="statusCode", value=status)
    limit = self._get_param("limit", 50)
    if not isinstance(limit, int) or not 1 <= limit <= 50:
        raise InvalidParameterException(constraint="Member must have value between 1 and 50",
                                        parameter="limit", value=limit)
    tasks = list(_tasks(backend).values())
    if task_id:
        tasks = [t for t in tasks if t["taskId"] == task_id]
    if status:
        tasks = [t for t in tasks if t["status"]["code"] == status]
    try:
        page, token = _common.paginate(tasks, key=lambda t: (-t["executionInfo"]["creationTime"], t["taskId"]),
                                       limit=limit, token=self._get_param("nextToken"), kind="logs:DescribeExportTasks")
    except _common.BadToken:
        raise InvalidParameterException(msg="The specified nextToken is invalid.")
    result: dict[str, Any] = {"exportTasks": page}
    if token:
        result["nextToken"] = token
    answer = json.dumps(result)  # the tasks as they were when asked, before time moves on
    for task in _tasks(backend).values():
        if task["status"]["code"] in ACTIVE:
            _run(backend, task)
    return answer


def cancel_export_task(self: LogsResponse) -> str:
    task = _tasks(self.logs_backend).get(self._get_param("taskId"))
    if task is None:
        raise ResourceNotFoundException("The specified export task does not exist.")
    if task["status"]["code"] not in ACTIVE:
        raise InvalidOperationException("The specified export task has already finished")
    task["status"] = {"code": "CANCELLED", "message": "Cancelled by user"}
    return ""


def install() -> None:
    patch(LogsResponse, "create_export_task", create_export_task)
    patch(LogsResponse, "describe_export_tasks", describe_export_tasks)
    patch(LogsResponse, "cancel_export_task", cancel_export_task)
