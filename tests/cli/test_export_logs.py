"""`obsctl export-logs`: CreateExportTask to S3 through the CLI against the emulator, and the
pure helpers of reconciler/export_logs.py."""

from __future__ import annotations

import gzip
import json
import time
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from reconciler.diagnostics import ObsctlError
from reconciler.export_logs import (ExportRequest, backoff, export_policy, normalize_prefix,
                                    outcome, queued_message, submit, wait)

GROUP = "/aws/sagemaker/Endpoints/prod-churn"
BUCKET = "forensics"
NOW_MS = int(time.time() * 1000)


def put_events(logs, group=GROUP):
    logs.create_log_group(logGroupName=group)
    streams = {"AllTraffic/i-1": [(NOW_MS - 3 * 3600_000, "three hours ago: outside --since 1h"),
                                  (NOW_MS - 120_000, "ERROR model failed")],
               "AllTraffic/i-2": [(NOW_MS - 60_000, "overhead 12ms")]}
    for stream, events in streams.items():
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": t, "message": m} for t, m in events])


def docs_policy(bucket=BUCKET, statements=("GetBucketAcl", "PutObject")) -> str:
    """The Logs user guide's bucket policy (whole bucket), or some of its statements."""
    principal = {"Service": "logs.us-east-1.amazonaws.com"}
    every = {"GetBucketAcl": {"Effect": "Allow", "Principal": principal,
                              "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}"},
             "PutObject": {"Effect": "Allow", "Principal": principal, "Action": "s3:PutObject",
                           "Resource": f"arn:aws:s3:::{bucket}/*"}}
    return json.dumps({"Version": "2012-10-17", "Statement": [every[s] for s in statements]})


@pytest.fixture
def bucket(boto):
    s3 = boto("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=docs_policy())
    return s3


def keys(s3, bucket=BUCKET) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_exports_the_window_to_s3_and_prints_where(obsctl, boto, bucket):
    put_events(boto("logs"))
    result = obsctl("export-logs", GROUP, "--bucket", BUCKET, "--prefix", "/incident-42/",
                    "--since", "1h")
    assert result.exit_code == 0, result.stderr
    location = result.stdout.strip()
    assert location.startswith(f"s3://{BUCKET}/incident-42/") and location.endswith("/")
    task_id = location.split("/")[-2]
    assert keys(bucket) == {"incident-42/aws-logs-write-test",
                            f"incident-42/{task_id}/AllTraffic/i-1/000000.gz",
                            f"incident-42/{task_id}/AllTraffic/i-2/000000.gz"}
    body = bucket.get_object(Bucket=BUCKET, Key=f"incident-42/{task_id}/AllTraffic/i-1/000000.gz")
    lines = gzip.decompress(body["Body"].read()).decode().splitlines()
    assert len(lines) == 1 and lines[0].endswith(" ERROR model failed")  # not the 3 h old one
    assert f"export task {task_id} created" in result.stderr
    assert f"export task {task_id} COMPLETED" in result.stderr
    assert result.calls["logs.CreateExportTask"] == 1 and result.writes == 1
    (task,) = boto("logs").describe_export_tasks(taskId=task_id)["exportTasks"]
    assert task["logGroupName"] == GROUP and task["taskName"] == "obsctl-export-logs"
    assert 3500_000 <= task["to"] - task["from"] <= 3700_000


def test_a_second_export_queues_behind_the_active_one(obsctl, boto, bucket):
    logs = boto("logs")
    put_events(logs)
    put_events(logs, "/other/app")
    first = logs.create_export_task(logGroupName="/other/app", fromTime=NOW_MS - 3600_000,
                                    to=NOW_MS, destination=BUCKET)["taskId"]
    result = obsctl("export-logs", GROUP, "--bucket", BUCKET)
    assert result.exit_code == 0, result.stderr
    assert (f"waiting for export task {first} (/other/app to s3://{BUCKET}/exportedlogs, PENDING) "
            "to finish: CloudWatch Logs runs one export task per account at a time"
            in result.stderr)
    assert result.stderr.index(f"export task {first}") < result.stderr.index("created")
    (done,) = logs.describe_export_tasks(taskId=first)["exportTasks"]
    assert done["status"]["code"] == "COMPLETED"
    task_id = result.stdout.strip().split("/")[-2]
    assert any(k.startswith(f"exportedlogs/{task_id}/") for k in keys(bucket))
    assert result.calls["logs.CreateExportTask"] == 1  # waited, never hammered CreateExportTask


def _printed_policy(stderr: str) -> dict:
    return json.JSONDecoder().raw_decode(stderr[stderr.index("\n{") + 1:])[0]


def test_bucket_without_the_logs_policy_gets_the_missing_statement_and_the_policy(obsctl, boto):
    put_events(boto("logs"))
    s3 = boto("s3")
    s3.create_bucket(Bucket=BUCKET)
    result = obsctl("export-logs", GROUP, "--bucket", BUCKET, "--prefix", "cases")
    assert result.exit_code == 1
    first_line = result.stderr.splitlines()[0]
    assert first_line == (
        f"error: bucket {BUCKET} does not let CloudWatch Logs export to it: its bucket policy has "
        "no statement allowing logs.us-east-1.amazonaws.com s3:GetBucketAcl on "
        f"arn:aws:s3:::{BUCKET}. The minimal policy (merge it into the bucket's; see "
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3ExportTasks.html):")
    assert "Traceback" not in result.stderr and result.stdout == ""
    policy = _printed_policy(result.stderr)
    assert [s["Action"] for s in policy["Statement"]] == ["s3:GetBucketAcl", "s3:PutObject"]
    assert policy["Statement"][1]["Resource"] == f"arn:aws:s3:::{BUCKET}/cases/*"
    assert policy["Statement"][0]["Condition"]["StringEquals"] == {
        "aws:SourceAccount": "123456789012"}

    s3.put_bucket_policy(Bucket=BUCKET, Policy=docs_policy(statements=["GetBucketAcl"]))
    no_put = obsctl("export-logs", GROUP, "--bucket", BUCKET, "--prefix", "cases")
    assert no_put.exit_code == 1
    assert (f"no statement allowing logs.us-east-1.amazonaws.com s3:PutObject on "
            f"arn:aws:s3:::{BUCKET}/cases/*." in no_put.stderr.splitlines()[0])

    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))  # the printed one works
    fixed = obsctl("export-logs", GROUP, "--bucket", BUCKET, "--prefix", "cases")
    assert fixed.exit_code == 0, fixed.stderr
    assert fixed.stdout.startswith(f"s3://{BUCKET}/cases/")


def test_missing_bucket_and_unknown_log_group(obsctl, boto, bucket):
    result = obsctl("export-logs", "/no/such/group", "--bucket", BUCKET)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("error: log group /no/such/group does not exist in "
                                             "us-east-1 (check the name, --region or AWS_REGION)")
    put_events(boto("logs"))
    result = obsctl("export-logs", GROUP, "--bucket", "no-such-bucket")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: S3 bucket no-such-bucket does not exist; create it in us-east-1, the log group's "
        "region, first")


@pytest.mark.parametrize("args, message", [
    (["--since", "yesterday"], "Invalid value for '--since': 'yesterday': use now, a duration"),
    (["--since", "1h", "--until", "2h"], "--since 1h is not before --until 2h"),
    (["--prefix", "//"], "Invalid value for '--prefix': must not be empty"),
    ([], "Missing option '--bucket'"),
])
def test_bad_arguments_are_usage_errors_with_no_calls(obsctl, args, message):
    bucket = [] if "--bucket" in message else ["--bucket", BUCKET]
    result = obsctl("export-logs", GROUP, *bucket, *args)
    assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert sum(result.calls.values()) == 0


def test_no_region_is_refused_before_any_call(obsctl, monkeypatch, tmp_path):
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    result = obsctl("export-logs", GROUP, "--bucket", BUCKET)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("error: no AWS region: pass --region or set "
                                             "AWS_REGION/AWS_DEFAULT_REGION (or a region in "
                                             "the AWS profile)")
    assert sum(result.calls.values()) == 0
    with_flag = obsctl("export-logs", GROUP, "--bucket", BUCKET, "--region", "us-east-1")
    assert "no AWS region" not in with_flag.stderr and with_flag.calls["logs.CreateExportTask"] == 1


def test_hostile_names_are_written_out(obsctl, boto, bucket):
    result = obsctl("export-logs", "/app\x1b[2J\u202e", "--bucket", BUCKET)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "/app\\x1b[2J\\u202e" in result.stderr


# -- pure helpers -------------------------------------------------------------------------------

REQUEST = ExportRequest(log_group="/g", bucket="b", prefix="p", region="eu-west-1",
                        start=datetime(2024, 5, 1, tzinfo=timezone.utc),
                        end=datetime(2024, 5, 2, tzinfo=timezone.utc))


class FakeLogs:
    def __init__(self, statuses):
        self.statuses = list(statuses)

    def describe_export_tasks(self, taskId):
        code, message = self.statuses.pop(0)
        return {"exportTasks": [{"taskId": taskId, "status": {"code": code, "message": message}}]}


def test_wait_polls_with_backoff_until_the_task_is_done():
    sleeps, seen = [], []
    logs = FakeLogs([("PENDING", ""), ("RUNNING", ""), ("RUNNING", ""), ("COMPLETED", "ok")])
    task = wait(logs, "t-1", seen.append, sleep=sleeps.append)
    assert task["status"]["code"] == "COMPLETED" and seen == ["PENDING", "RUNNING", "RUNNING",
                                                              "COMPLETED"]
    assert sleeps == [0.5, 1.0, 2.0]
    assert outcome(task, REQUEST) == "s3://b/p/t-1/"


def test_failed_and_cancelled_tasks_are_errors():
    failed = {"taskId": "t-2", "status": {"code": "FAILED", "message": "KMS key\nis disabled"}}
    with pytest.raises(ObsctlError, match=r"^export task t-2 FAILED: KMS key\\nis disabled$"):
        outcome(failed, REQUEST)
    cancelled = {"taskId": "t-3", "status": {"code": "CANCELLED", "message": "Cancelled by user"}}
    with pytest.raises(ObsctlError, match=r"export task t-3 was cancelled \(CancelExportTask\): "
                                          r"Cancelled by user; objects already written stay under "
                                          r"s3://b/p/t-3/"):
        outcome(cancelled, REQUEST)


def test_backoff_doubles_up_to_the_longest_pause():
    pauses = backoff(0.5, 3)
    assert [next(pauses) for _ in range(5)] == [0.5, 1.0, 2.0, 3, 3]


def test_prefix_loses_its_slashes_and_cannot_be_empty():
    assert normalize_prefix("/cases/42/") == "cases/42"
    with pytest.raises(ValueError):
        normalize_prefix("/")


def test_queued_message_writes_out_what_aws_says():
    task = {"taskId": "t\x1b", "logGroupName": "/g", "destination": "b",
            "destinationPrefix": "p", "status": {"code": "RUNNING"}}
    assert queued_message(task) == ("waiting for export task t\\x1b (/g to s3://b/p, RUNNING) to "
                                    "finish: CloudWatch Logs runs one export task per account "
                                    "at a time")


def test_policy_without_a_known_account_has_no_source_conditions():
    policy = export_policy(REQUEST, None)
    get_acl, put_object = policy["Statement"]
    assert "Condition" not in get_acl
    assert put_object["Condition"] == {"StringEquals": {"s3:x-amz-acl":
                                                        "bucket-owner-full-control"}}
    assert get_acl["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    with_account = export_policy(REQUEST, "111122223333")["Statement"][1]["Condition"]
    assert with_account == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                         "aws:SourceAccount": "111122223333"},
        "ArnLike": {"aws:SourceArn": "arn:aws:logs:eu-west-1:111122223333:log-group:*"}}


def test_the_seeded_emulator_has_a_bucket_to_export_to(obsctl, aws, boto):
    from reconciler.emulator.seed import LOG_EXPORT_BUCKET, seed

    seed(aws.endpoint_url)
    put_events(boto("logs"))
    result = obsctl("export-logs", GROUP, "--bucket", LOG_EXPORT_BUCKET, "--since", "1h")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"s3://{LOG_EXPORT_BUCKET}/exportedlogs/")


class RacingLogs:
    """No task active when looked up, yet CreateExportTask is refused once (another task
    started in between, and botocore's retries of the throttle ran out)."""

    def __init__(self, refusals):
        self.refusals, self.created = list(refusals), 0

    def get_paginator(self, _name):
        return self

    def paginate(self, statusCode):
        return [{"exportTasks": []}]

    def create_export_task(self, **args):
        if self.refusals:
            code, message = self.refusals.pop(0)
            raise ClientError({"Error": {"Code": code, "Message": message}}, "CreateExportTask")
        self.created += 1
        return {"taskId": "t-9"}


def test_submit_looks_again_after_losing_a_race():
    said, sleeps = [], []
    logs = RacingLogs([("LimitExceededException", "Resource limit exceeded.")] * 2)
    assert submit(logs, REQUEST, said.append, sleep=sleeps.append) == "t-9"
    assert sleeps == [1.0, 2.0] and logs.created == 1
    assert said[0] == ("CreateExportTask: LimitExceededException (another export task started "
                       "meanwhile); looking again in 1 s")


def test_submit_passes_on_a_refusal_it_has_nothing_to_add_to():
    logs = RacingLogs([("InvalidParameterException", "Specified time range is not valid.")])
    with pytest.raises(ClientError, match="Specified time range is not valid"):
        submit(logs, REQUEST, print, sleep=pytest.fail)
