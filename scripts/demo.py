"""`make demo`: start the embedded emulator, then validate -> plan -> apply -> plan (must be empty)
-> status -> test-alarm (the page reaches an SQS queue subscribed to the on-call topic).

Every step runs the real `obsctl` console script against the emulator over HTTP, as a user
would; the emulator this script started is stopped however the demo ends. The output is kept
short enough to read: the plan shows one line per resource (not every field), the apply only
its summary (it would print that same plan again), status only the stacks' totals and the
alarms in ALARM. Run the commands yourself for the full output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

from reconciler.emulator import Emulator

OBSCTL = str(Path(sys.executable).with_name("obsctl"))


def run(step: str, *args: str, env: dict, expect: int = 0,
        shown: Callable[[list[str]], list[str]] = lambda lines: lines) -> None:
    """Run one obsctl command; print the lines `shown` keeps (all of them when it fails)."""
    print(f"\n$ obsctl {' '.join(args)}    # {step}", flush=True)
    done = subprocess.run([OBSCTL, *args], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    lines = done.stdout.splitlines()
    if done.returncode != expect:
        print("\n".join(lines))
        sys.exit(f"demo failed: `obsctl {' '.join(args)}` exited {done.returncode}, "
                 f"expected {expect}")
    kept = shown(lines)
    print("\n".join(kept))
    if len(kept) < len(lines):
        print(f"  [{len(lines) - len(kept)} more lines left out here; run the command to see them]")


def plan_headers(lines: list[str]) -> list[str]:
    """One line per resource (`# alarms/x will be created`), the stacks, the summary and the
    notes (functions a lambda monitor cannot fully watch)."""
    return [line for line in lines
            if line.startswith(("Stack ", "  # ", "Plan:", "No changes", "Note:")) or "conflict" in line]


def apply_summary(lines: list[str]) -> list[str]:
    """What failed (if anything) and the summary; the plan it repeats was shown above."""
    return [line for line in lines if line.startswith(("!", "Apply complete"))]


def status_summary(lines: list[str]) -> list[str]:
    """The stacks' and the run's totals, and every alarm in ALARM with its reason."""
    kept, in_alarm = [], False
    for line in lines:
        if not line.startswith(" "):
            in_alarm = False
            if line:
                kept.append(line)
        elif line.startswith("  ") and not line.startswith("   "):
            in_alarm = line.split()[0] == "ALARM"
            if in_alarm:
                kept.append(line)
        elif in_alarm:
            kept.append(line)
    return kept


def main() -> None:
    paths = sys.argv[1:] or ["examples/"]
    # Seeded: the ML examples discover and monitor the emulator's SageMaker endpoints.
    with Emulator(seed=True) as emulator:
        print(f"emulator running at {emulator.endpoint_url}")
        env = {**os.environ, "AWS_ENDPOINT_URL": emulator.endpoint_url,
               "AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo",
               "AWS_DEFAULT_REGION": "us-east-1"}
        env.pop("AWS_PROFILE", None)
        run("parse and validate, no AWS calls", "validate", *paths, env=env)
        run("what would change (everything is new)", "plan", *paths, env=env,
            shown=plan_headers)
        run("make it so (the plan above, applied)", "apply", *paths, "--auto-approve", env=env,
            shown=apply_summary)
        run("nothing left to do: exit 0", "plan", *paths, "--detailed-exitcode", env=env)
        run("live state of every alarm, declared and generated", "status", *paths, env=env,
            shown=status_summary)
        if paths == ["examples/"]:
            test_alarm(env)
            logs_steps(env)
            cross_account_step(env)
    print("\ndemo passed: plan -> apply -> plan is empty; status; test-alarm paged the queue; "
          "a root-cause query and a log export ran; the source account is linked to the sink.")


def test_alarm(env: dict) -> None:
    """An SQS queue subscribed to the on-call topic (plain boto3, as on-call's inbox), then
    `test-alarm` on an alarm paging that topic: the queue gets CloudWatch's notification."""
    import boto3

    def client(service):
        return boto3.client(service, endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                            aws_access_key_id="demo", aws_secret_access_key="demo")
    sns, sqs = client("sns"), client("sqs")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"]
                 if t["TopicArn"].endswith(":ml-oncall"))
    url = sqs.create_queue(QueueName="oncall-inbox")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue["QueueArn"])
    run("page on-call for real", "test-alarm", "prod-churn-down", "examples/", env=env)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    pages = [json.loads(json.loads(m["Body"])["Message"]) for m in messages]
    for page in pages:
        print(f"  queue oncall-inbox got: {page['AlarmName']} {page['OldStateValue']} -> "
              f"{page['NewStateValue']} ({page['NewStateReason']})")
    if not any(p["AlarmName"] == "prod-churn-down" and p["NewStateValue"] == "ALARM" for p in pages):
        sys.exit("demo failed: the test-alarm notification did not reach the queue")
    run("an alarm is in ALARM now: exit 2", "status", "examples/", "--detailed-exitcode",
        env=env, expect=2, shown=status_summary)


def logs_steps(env: dict) -> None:
    """Container log lines in prod-churn's log group, then the root-cause query and an export."""
    import time

    import boto3

    logs = boto3.client("logs", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                        aws_access_key_id="demo", aws_secret_access_key="demo")
    group = "/aws/sagemaker/Endpoints/prod-churn"
    logs.create_log_stream(logGroupName=group, logStreamName="AllTraffic/i-0demo")
    now = int(time.time() * 1000)
    lines = ["INFO status=200 model=churn-v7 error=none",
             "ERROR status=503 model=churn-v7 error=ModelTimeout: inference took 30012 ms",
             "ERROR status=500 model=churn-v6 error=KeyError: 'tenure'",
             "ERROR status=503 model=churn-v7 error=ModelTimeout: inference took 30500 ms"]
    logs.put_log_events(logGroupName=group, logStreamName="AllTraffic/i-0demo",
                        logEvents=[{"timestamp": now - 60_000 + i, "message": m}
                                   for i, m in enumerate(lines)])
    run("root cause: 5XX failures per model version (Logs Insights parse)", "query",
        "prod-churn-failing-models", "examples/", "--since", "1h", env=env)
    run("the endpoint's logs to S3 for forensics and Athena", "export-logs", group,
        "--bucket", "obsctl-demo-log-exports", "--prefix", "incident-42", "--since", "1h", env=env)


def cross_account_step(env: dict) -> None:
    """examples/cross-account: the monitoring account's sink lists the link that the source
    account's stack (role_arn into 222222222222) made, as ListAttachedLinks shows it."""
    import boto3

    oam = boto3.client("oam", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                       aws_access_key_id="demo", aws_secret_access_key="demo")
    sink = next(s["Arn"] for s in oam.list_sinks()["Items"] if s["Name"] == "central")
    attached = oam.list_attached_links(SinkIdentifier=sink)["Items"]
    print(f"\n# the monitoring account's sink central ({sink}) has these links attached:")
    for link in attached:
        print(f"  {link['Label']}  {link['LinkArn']}  {', '.join(link['ResourceTypes'])}")
    if not any(":222222222222:link/" in link["LinkArn"] for link in attached):
        sys.exit("demo failed: the source account's link is not attached to the sink")


if __name__ == "__main__":
    main()
