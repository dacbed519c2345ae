"""CloudWatch Logs export tasks to S3 through plain boto3."""

from __future__ import annotations

import gzip
import json
import time
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

BUCKET = "log-exports"
T0 = (int(time.time()) - 3600) * 1000  # recent: PutLogEvents refuses events older than 14 days


def iso(millis: int) -> str:
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def logs(emu_client):
    return emu_client("logs")


@pytest.fixture
def s3(emu_client):
    return emu_client("s3")


def export_policy(bucket: str = BUCKET, region: str = "us-east-1") -> str:
    principal = {"Service": f"logs.{region}.amazonaws.com"}
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Allow", "Principal": principal, "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
    ]})


def group_with_events(logs, name="/app/api"):
    logs.create_log_group(logGroupName=name)
    for stream, messages in (("web-1", ["GET /a", "GET /b"]), ("web-2", ["POST /c"])):
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
        logs.put_log_events(logGroupName=name, logStreamName=stream,
                            logEvents=[{"timestamp": T0 + i * 1000, "message": m} for i, m in enumerate(messages)])


def test_export_writes_each_stream_under_the_task_id_and_completes(logs, s3):
    group_with_events(logs)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=export_policy())
    task_id = logs.create_export_task(taskName="nightly", logGroupName="/app/api", fromTime=T0, to=T0 + 60_000,
                                      destination=BUCKET, destinationPrefix="archive")["taskId"]
    (pending,) = logs.describe_export_tasks(taskId=task_id)["exportTasks"]
    assert pending["status"]["code"] == "PENDING"
    (task,) = logs.describe_export_tasks(taskId=task_id)["exportTasks"]
    assert task["status"]["code"] == "COMPLETED"
    assert task["taskName"] == "nightly" and task["destinationPrefix"] == "archive"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {"archive/aws-logs-write-test", f"archive/{task_id}/web-1/000000.gz",
                    f"archive/{task_id}/web-2/000000.gz"}
    body = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=f"archive/{task_id}/web-1/000000.gz")["Body"].read())
    assert body.decode().splitlines() == [f"{iso(T0)} GET /a", f"{iso(T0 + 1000)} GET /b"]


def test_only_one_active_task_at_a_time_and_cancel(logs, s3):
    group_with_events(logs)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=export_policy())
    first = logs.create_export_task(logGroupName="/app/api", fromTime=T0, to=T0 + 1, destination=BUCKET)["taskId"]
    with pytest.raises(ClientError) as busy:
        logs.create_export_task(logGroupName="/app/api", fromTime=T0, to=T0 + 1, destination=BUCKET)
    assert busy.value.response["Error"]["Code"] == "LimitExceededException"
    logs.cancel_export_task(taskId=first)
    assert logs.describe_export_tasks(taskId=first)["exportTasks"][0]["status"]["code"] == "CANCELLED"
    second = logs.create_export_task(logGroupName="/app/api", fromTime=T0, to=T0 + 1, destination=BUCKET)["taskId"]
    assert [t["taskId"] for t in logs.describe_export_tasks(statusCode="PENDING")["exportTasks"]] == [second]
    assert logs.describe_export_tasks(statusCode="COMPLETED")["exportTasks"][0]["taskId"] == second
    with pytest.raises(ClientError) as finished:
        logs.cancel_export_task(taskId=second)
    assert finished.value.response["Error"]["Code"] == "InvalidOperationException"


def test_an_active_task_is_seen_by_describe_before_it_completes(logs, s3):
    """A client waiting for the account's active task (one at a time) must be able to see it:
    each DescribeExportTasks shows the tasks as they are, then carries out the active ones."""
    group_with_events(logs)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=export_policy())
    task_id = logs.create_export_task(logGroupName="/app/api", fromTime=T0, to=T0 + 1, destination=BUCKET)["taskId"]
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
    (active,) = logs.describe_export_tasks(statusCode="PENDING")["exportTasks"]
    assert active["taskId"] == task_id and active["status"]["code"] == "PENDING"
    assert logs.describe_export_tasks(statusCode="PENDING")["exportTasks"] == []
    assert logs.describe_export_tasks(taskId=task_id)["exportTasks"][0]["status"]["code"] == "COMPLETED"


def test_bucket_must_exist_and_allow_cloudwatch_logs(logs, s3):
    group_with_events(logs)
    args = dict(logGroupName="/app/api", fromTime=T0, to=T0 + 1, destination=BUCKET)
    with pytest.raises(ClientError) as missing:
        logs.create_export_task(**args)
    assert missing.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "bucket does not exist" in missing.value.response["Error"]["Message"]
    s3.create_bucket(Bucket=BUCKET)
    with pytest.raises(ClientError) as no_policy:
        logs.create_export_task(**args)
    assert no_policy.value.response["Error"]["Message"].startswith("GetBucketAcl call on the given bucket failed.")
    s3.put_bucket_policy(Bucket=BUCKET, Policy=export_policy(region="eu-west-1"))  # wrong Region's principal
    with pytest.raises(ClientError) as wrong_region:
        logs.create_export_task(**args)
    assert wrong_region.value.response["Error"]["Code"] == "InvalidParameterException"
    only_acl = json.loads(export_policy())
    only_acl["Statement"] = only_acl["Statement"][:1]
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(only_acl))
    with pytest.raises(ClientError) as no_put:
        logs.create_export_task(**args)
    assert no_put.value.response["Error"]["Message"].startswith("PutObject call on the given bucket failed.")
    assert logs.describe_export_tasks()["exportTasks"] == []
