"""`obsctl export-logs`: a log group's events over a time window to S3 (CreateExportTask), for
forensics and Athena.

CloudWatch Logs runs one export task per account at a time (PENDING or RUNNING); another
CreateExportTask meanwhile is LimitExceededException. `submit` queues behind it: it says which
task it waits for and follows that one until it is done, then creates its own. `wait` follows a
task with DescribeExportTasks (0.5 s doubling to 15 s) until COMPLETED, FAILED or CANCELLED.
The objects land under `s3://BUCKET/PREFIX/TASK_ID/STREAM/000000.gz` (and CloudWatch Logs
writes a `PREFIX/aws-logs-write-test` object first).

AWS's refusals become one line that says what to do: a bucket whose policy does not let the
`logs.REGION.amazonaws.com` service principal call s3:GetBucketAcl or s3:PutObject (AWS answers
InvalidParameterException naming the call) gets the minimal policy printed after the line.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterator

from botocore.exceptions import ClientError

from reconciler.diagnostics import ObsctlError
from reconciler.text import visible

DEFAULT_PREFIX = "exportedlogs"  # what CloudWatch Logs uses when destinationPrefix is omitted
TASK_NAME = "obsctl-export-logs"
ACTIVE = ("PENDING", "RUNNING")
FINISHED = ("COMPLETED", "FAILED", "CANCELLED")
QUEUE_PAUSES = (1.0, 30.0)  # first and longest pause after a LimitExceededException
POLL_PAUSES = (0.5, 15.0)  # first and longest pause between DescribeExportTasks polls
POLICY_DOCS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3ExportTasks.html"
# The S3 calls CloudWatch Logs makes on the bucket, as its InvalidParameterException names them.
BUCKET_CALLS = {"GetBucketAcl": "s3:GetBucketAcl", "PutObject": "s3:PutObject"}


@dataclass(frozen=True)
class ExportRequest:
    log_group: str
    bucket: str
    prefix: str
    start: datetime
    end: datetime
    region: str

    def create_args(self) -> dict:
        return {"taskName": TASK_NAME, "logGroupName": self.log_group,
                "fromTime": _millis(self.start), "to": _millis(self.end),
                "destination": self.bucket, "destinationPrefix": self.prefix}

    def location(self, task_id: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}/{task_id}/"


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_prefix(prefix: str) -> str:
    """The key prefix without surrounding slashes (`logs/` and `/logs` are `logs`): the
    objects are PREFIX/TASK_ID/..., so a slash at either end would make an empty key segment."""
    stripped = prefix.strip("/")
    if not stripped:
        raise ValueError("must not be empty (default: exportedlogs)")
    return stripped


def backoff(first: float, longest: float) -> Iterator[float]:
    pause = first
    while True:
        yield pause
        pause = min(pause * 2, longest)


# -- submit: CreateExportTask, queued behind the account's active task -------------------------

def submit(logs, request: ExportRequest, say: Callable[[str], None],
           on_status: Callable[[str], None] = lambda _: None, sleep=time.sleep,
           account_id: Callable[[], str | None] = lambda: None) -> str:
    """The id of the created export task. While another task of the account is active, says
    which and waits for it to finish first; AWS refusals become ObsctlErrors saying what to do.

    The active task is looked up before CreateExportTask rather than learnt from its
    LimitExceededException: botocore retries that error as a throttle (up to its max attempts,
    a minute or so; docs/aws-behaviour.md#export-tasks), so it only comes back when another
    task started between the two calls."""
    pauses = backoff(*QUEUE_PAUSES)
    while True:
        active = active_tasks(logs)
        if active:
            task = active[0]
            say(queued_message(task))
            wait(logs, task["taskId"], lambda code: on_status(f"Queued behind a {code} task"),
                 sleep)
            continue
        try:
            return logs.create_export_task(**request.create_args())["taskId"]
        except ClientError as error:
            if _code(error) != "LimitExceededException":
                raise refusal(error, request, account_id) from None
        pause = next(pauses)
        say(f"CreateExportTask: LimitExceededException (another export task started meanwhile); "
            f"looking again in {pause:g} s")
        sleep(pause)


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def active_tasks(logs) -> list[dict]:
    """The account's PENDING and RUNNING export tasks (one at most, as AWS allows)."""
    paginator = logs.get_paginator("describe_export_tasks")
    found: dict[str, dict] = {}
    for status in ACTIVE:
        for page in paginator.paginate(statusCode=status):
            found.update((task["taskId"], task) for task in page.get("exportTasks", []))
    return list(found.values())


def queued_message(task: dict) -> str:
    destination = f"s3://{task.get('destination', '?')}/{task.get('destinationPrefix', '')}"
    return (f"waiting for export task {visible(task.get('taskId', '?'))} "
            f"({visible(task.get('logGroupName', '?'))} to {visible(destination)}, "
            f"{visible(task.get('status', {}).get('code', '?'))}) to finish: CloudWatch Logs "
            "runs one export task per account at a time")


def refusal(error: ClientError, request: ExportRequest,
            account_id: Callable[[], str | None]) -> Exception:
    """AWS's CreateExportTask refusal as an ObsctlError that says what to do, or the error
    itself when there is nothing to add."""
    code, message = _code(error), error.response.get("Error", {}).get("Message", "")
    if code == "ResourceNotFoundException":
        return ObsctlError(f"log group {visible(request.log_group)} does not exist in "
                           f"{request.region} (check the name, --region or AWS_REGION)")
    if code == "InvalidParameterException":
        call = next((c for c in BUCKET_CALLS
                     if message.startswith(f"{c} call on the given bucket")), None)
        if call:
            return ObsctlError(missing_policy_message(call, request, account_id()))
        if "bucket does not exist" in message:
            return ObsctlError(f"S3 bucket {visible(request.bucket)} does not exist; create it "
                               f"in {request.region}, the log group's region, first")
    return error


# -- the bucket policy CloudWatch Logs needs --------------------------------------------------

def missing_policy_message(call: str, request: ExportRequest, account: str | None) -> str:
    """One line naming the missing statement, then the minimal policy to merge in."""
    principal = service_principal(request.region)
    resource = (f"arn:aws:s3:::{request.bucket}" if call == "GetBucketAcl"
                else f"arn:aws:s3:::{request.bucket}/{request.prefix}/*")
    line = (f"bucket {visible(request.bucket)} does not let CloudWatch Logs export to it: its "
            f"bucket policy has no statement allowing {principal} {BUCKET_CALLS[call]} on "
            f"{visible(resource)}. The minimal policy (merge it into the bucket's; see "
            f"{POLICY_DOCS}):")
    return f"{line}\n{json.dumps(export_policy(request, account), indent=2)}"


def service_principal(region: str) -> str:
    return f"logs.{region}.amazonaws.com"


def export_policy(request: ExportRequest, account: str | None) -> dict:
    """The bucket policy of the Logs user guide ("Set permissions on an Amazon S3 bucket"), with
    PutObject limited to PREFIX/ and, when the account is known, both statements to this
    account's log groups (aws:SourceAccount, aws:SourceArn: no confused deputy)."""
    principal = {"Service": service_principal(request.region)}
    source = ({"StringEquals": {"aws:SourceAccount": account},
               "ArnLike": {"aws:SourceArn":
                           f"arn:aws:logs:{request.region}:{account}:log-group:*"}}
              if account else {})
    put_condition = {**source, "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                                **source.get("StringEquals", {})}}
    get_acl = {"Sid": "CloudWatchLogsGetBucketAcl", "Effect": "Allow", "Principal": principal,
               "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{request.bucket}"}
    if source:
        get_acl["Condition"] = source
    put_object = {"Sid": "CloudWatchLogsPutObject", "Effect": "Allow", "Principal": principal,
                  "Action": "s3:PutObject",
                  "Resource": f"arn:aws:s3:::{request.bucket}/{request.prefix}/*",
                  "Condition": put_condition}
    return {"Version": "2012-10-17", "Statement": [get_acl, put_object]}


# -- wait: DescribeExportTasks until the task is done -----------------------------------------

def wait(logs, task_id: str, on_status: Callable[[str], None], sleep=time.sleep) -> dict:
    """The task once COMPLETED, FAILED or CANCELLED; `on_status` hears each status polled."""
    pauses = backoff(*POLL_PAUSES)
    while True:
        tasks = logs.describe_export_tasks(taskId=task_id).get("exportTasks", [])
        if not tasks:
            raise ObsctlError(f"export task {visible(task_id)} is not in DescribeExportTasks")
        code = tasks[0].get("status", {}).get("code", "")
        on_status(code)
        if code in FINISHED:
            return tasks[0]
        sleep(next(pauses))


def outcome(task: dict, request: ExportRequest) -> str:
    """Where the finished task's objects are; ObsctlError for a FAILED or CANCELLED one."""
    status = task.get("status", {})
    code, reason = status.get("code", ""), visible(status.get("message") or "no reason given")
    task_id = task["taskId"]
    if code == "COMPLETED":
        return request.location(task_id)
    if code == "CANCELLED":
        raise ObsctlError(f"export task {visible(task_id)} was cancelled (CancelExportTask): "
                          f"{reason}; objects already written stay under "
                          f"{visible(request.location(task_id))}")
    raise ObsctlError(f"export task {visible(task_id)} {visible(code)}: {reason}")
