"""API calls of `obsctl status` on a stack of 5,000 alarms, against the embedded emulator.

    .venv/bin/python bench/status_calls.py              # 5,000 alarms
    .venv/bin/python bench/status_calls.py --alarms 500

The alarms are declared with bench/run.py's generator and created with plain boto3 (the
emulator's PutMetricAlarm, 16 at a time): this measures status, not apply. Then
`obsctl --stats status` runs with --history 0 (DescribeAlarms: 100 names a call, and the
owner tags: one GetResources page per 100 tagged alarms) and with
--history 1 (plus one DescribeAlarmHistory per alarm: the API has no batched form), and a
third time with 1,000 unrelated alarms in the account, which a name-batched read never pages.
Prints calls by operation and wall seconds per run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from run import REGION, STACK, alarm_names, clients, run_cli, write_stack  # noqa: E402

from reconciler.emulator import Emulator  # noqa: E402


def create_alarms(client, names: list[str], owner: str | None = None) -> None:
    """Alarms as an apply leaves them: tagged with their stack (`owner`), or nobody's."""
    cloudwatch = client("cloudwatch")
    tags = [{"Key": "obsctl:stack", "Value": owner}] if owner else []

    def put(name: str) -> None:
        cloudwatch.put_metric_alarm(AlarmName=name, Namespace="Bench", MetricName="M",
                                    Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                                    ComparisonOperator="GreaterThanThreshold", Tags=tags)
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, names))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alarms", type=int, default=5000)
    args = parser.parse_args()
    sizes = {"alarms": args.alarms, "log_groups": 1, "metric_filters": 0, "dashboards": 1,
             "topics": 1}
    with Emulator() as emulator, tempfile.TemporaryDirectory() as directory:
        os.environ.update({"AWS_ENDPOINT_URL": emulator.endpoint_url, "AWS_DEFAULT_REGION": REGION,
                           "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
        os.environ.pop("AWS_PROFILE", None)
        paths = [p for p in write_stack(Path(directory), sizes) if "alarms-" in p or "topics" in p]
        client = clients(emulator.endpoint_url)
        create_alarms(client, alarm_names(args.alarms), owner=STACK)
        runs = [("--history 0", ()), ("--history 1", ("--history", "1"))]
        for label, extra in runs:
            report(label, run_cli("status", *paths, "--format", "json", "-q", *extra))
        create_alarms(client, [f"unrelated-{i:05d}" for i in range(1000)])
        report("--history 0, +1,000 unrelated alarms",
               run_cli("status", *paths, "--format", "json", "-q"))
    return 0


def report(label: str, result: dict) -> None:
    print(f"status {label}: exit {result['exit_code']}, {result['total_calls']} calls "
          f"({result['writes']} writes) in {result['wall_s']:.1f} s")
    for operation, count in result["calls"].items():
        print(f"  {operation} {count}")
    if result["stderr_tail"]:
        print(result["stderr_tail"])


if __name__ == "__main__":
    sys.exit(main())
