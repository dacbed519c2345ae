"""`make bench`: obsctl's plan and apply on a synthetic stack of thousands of resources against
the embedded emulator, next to the pagination minimum and a plain-boto3 listing floor.

    .venv/bin/python bench/run.py              # full size (5,000 alarms ...), < 10 min on 2 cores
    .venv/bin/python bench/run.py --scale 0.1  # quick run while developing
    .venv/bin/python bench/run.py --no-org     # without the org-scale phases (160 stacks, 4 regions)
    .venv/bin/python bench/run.py --phase org --phase growth   # only those (stack, org, growth, rates)

What is measured, per phase (cold plan, apply, no-change plan, no-change apply, plan after 1%
drift):
- wall seconds of the in-process CLI command (`obsctl --stats ...` through click's runner);
- API calls by operation, from obsctl's own `--stats` (botocore `before-sign`, retries counted);
- peak RSS: the process's resident set sampled from /proc/self/statm every 10 ms during the
  phase (whole process: includes what earlier phases left allocated; not tracemalloc, which
  would slow the run down several times);
- the pagination minimum of the reads for the state the phase starts from (SPEC §6), and for
  applies the minimum writes for the planned changes;
- for plans, a list-only floor: plain boto3 paging through the same state with the same calls,
  the independent listings on 8 threads like obsctl's reader, timed right after the plan.
Separately: local normalize + diff of 10,000 alarms (no AWS): YAML load+validate (and the YAML
alone), desired form, live form from fake DescribeAlarms entries, field diff. Then the org-scale
phases (below), and against a fresh emulator the growth and paced-apply phases, which run
obsctl in a child process each (bench/scaling.py).

Results: one table on stdout and JSON in bench/results/<UTC timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from reconciler.aws import is_write  # noqa: E402
from reconciler.cli import main as obsctl_main  # noqa: E402
from reconciler.emulator import Emulator  # noqa: E402

import scaling  # noqa: E402  (bench/scaling.py, next to this script)

REGION = "us-east-1"
STACK = "bench"
OWNER_TAG_TYPES = ("cloudwatch:alarm", "logs:log-group", "sns:topic")
_STATS_LINE = re.compile(r"^\s{2}(\S+\.\S+)\s+(\d+)$")
FULL = {"alarms": 5000, "log_groups": 1000, "metric_filters": 1000, "dashboards": 50, "topics": 20}


# --- the synthetic stack -------------------------------------------------------------------

def sizes(scale: float) -> dict[str, int]:
    return {kind: max(1, round(n * scale)) for kind, n in FULL.items()}


def alarm_shape(i: int) -> str:
    """60% one metric (half of them percentiles), 25% metric math, 15% anomaly band."""
    r = i % 20
    return "single" if r < 12 else "math" if r < 17 else "band"


def alarm_yaml(i: int, topics: int) -> str:
    name, endpoint = f"model-{i:05d}", f"endpoint-{i % 400:03d}"
    dims = f"{{EndpointName: {endpoint}, VariantName: AllTraffic}}"
    actions = f"actions: {{alarm: [topic:oncall-{i % topics:02d}], ok: [topic:oncall-{i % topics:02d}]}}"
    shape = alarm_shape(i)
    if shape == "single":
        stat = "p90" if i % 2 else "Average"
        return (f"  {name}-latency:\n"
                f"    description: latency of {endpoint} too high\n"
                f"    metric: {{namespace: AWS/SageMaker, name: ModelLatency, dimensions: {dims}, "
                f"stat: {stat}, period: 60}}\n"
                f"    when: '> {100000 + i}'\n    evaluation_periods: 3\n    datapoints_to_alarm: 2\n"
                f"    {actions}\n")
    if shape == "math":
        return (f"  {name}-error-rate:\n"
                f"    expression: '100 * errors / invocations'\n"
                f"    metrics:\n"
                f"      errors: {{namespace: AWS/SageMaker, name: Invocation5XXErrors, dimensions: {dims}, stat: Sum}}\n"
                f"      invocations: {{namespace: AWS/SageMaker, name: Invocations, dimensions: {dims}, stat: Sum}}\n"
                f"    period: 300\n    when: '> {1 + i % 10}'\n    {actions}\n")
    return (f"  {name}-invocations-anomaly:\n"
            f"    metric: {{namespace: AWS/SageMaker, name: Invocations, dimensions: {dims}, "
            f"stat: Sum, period: 300}}\n"
            f"    anomaly_band: {{deviations: {2 + i % 2}, direction: outside}}\n"
            f"    evaluation_periods: 2\n    {actions}\n")


def alarm_names(n: int) -> list[str]:
    suffix = {"single": "latency", "math": "error-rate", "band": "invocations-anomaly"}
    return [f"model-{i:05d}-{suffix[alarm_shape(i)]}" for i in range(n)]


def write_stack(directory: Path, n: dict[str, int], alarms_per_file: int = 1000) -> list[str]:
    """Several files forming one stack; returns the file paths."""
    header = f"stack: {STACK}\nregion: {REGION}\ntags: {{team: ml-platform, cost-center: '4242'}}\n"
    files: dict[str, str] = {}
    files["topics.yaml"] = header + "defaults:\n  alarm: {treat_missing_data: notBreaching}\n" \
        + "topics:\n" + "".join(
            f"  oncall-{t:02d}: {{display_name: On call {t}, subscriptions: "
            f"[{{protocol: email, endpoint: oncall-{t}@example.com}}]}}\n" for t in range(n["topics"]))
    per_group = math.ceil(n["metric_filters"] / n["log_groups"])
    groups, filters_left = [], n["metric_filters"]
    for g in range(n["log_groups"]):
        text = f"  /aws/sagemaker/Endpoints/bench-{g:05d}:\n    retention_days: {(30, 90, 365)[g % 3]}\n"
        count = min(per_group, filters_left)
        filters_left -= count
        if count:
            text += "    metric_filters:\n" + "".join(
                f"      errors-{f}:\n        pattern: '?ERROR ?Exception'\n"
                f"        metric: {{namespace: Bench/Logs, name: Errors{g % 50}, value: '1', default_value: 0}}\n"
                for f in range(count))
        groups.append(text)
    for chunk in range(0, len(groups), 500):
        files[f"log-groups-{chunk // 500}.yaml"] = header + "log_groups:\n" + "".join(groups[chunk:chunk + 500])
    for chunk in range(0, n["alarms"], alarms_per_file):
        files[f"alarms-{chunk // alarms_per_file}.yaml"] = header + "alarms:\n" + "".join(
            alarm_yaml(i, n["topics"]) for i in range(chunk, min(chunk + alarms_per_file, n["alarms"])))
    names = alarm_names(n["alarms"])
    files["dashboards.yaml"] = header + "dashboards:\n" + "".join(
        f"  bench-{d:03d}:\n    widgets:\n"
        f"      - {{type: metric, title: Latency, metrics: [{{namespace: AWS/SageMaker, name: ModelLatency, "
        f"dimensions: {{EndpointName: endpoint-{d:03d}, VariantName: AllTraffic}}, stat: p90}}]}}\n"
        f"      - {{type: alarm_status, title: Alarms, alarms: [{names[d % len(names)]}, {names[(d * 7 + 1) % len(names)]}]}}\n"
        for d in range(n["dashboards"]))
    paths = []
    for name, text in files.items():
        path = directory / name
        path.write_text(text)
        paths.append(str(path))
    return paths


# --- measuring ------------------------------------------------------------------------------

class RssSampler:
    """Peak resident set size of this process while active (sampled /proc/self/statm)."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.peak = 0
        self.start_rss = 0
        self._stop = threading.Event()

    def rss(self) -> int:
        try:
            with open("/proc/self/statm") as handle:
                return int(handle.read().split()[1]) * self.page
        except OSError:  # not Linux: the lifetime peak is the best there is
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def __enter__(self):
        self.start_rss = self.peak = self.rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.rss())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def run_cli(*args: str) -> dict:
    with RssSampler() as rss:
        started = time.perf_counter()
        result = CliRunner().invoke(obsctl_main, ["--stats", *args], catch_exceptions=True)
        wall = time.perf_counter() - started
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    calls: Counter = Counter()
    for line in result.stderr.splitlines():
        match = _STATS_LINE.match(line)
        if match:
            calls[match.group(1)] += int(match.group(2))
    summary = next((line for line in result.stdout.splitlines()
                    if line.startswith(("Plan:", "No changes", "Apply complete"))), "")
    return {"exit_code": result.exit_code, "wall_s": wall, "calls": dict(sorted(calls.items())),
            "total_calls": sum(calls.values()),
            "writes": sum(v for k, v in calls.items() if is_write(k.split(".", 1)[1])),
            "peak_rss_mb": rss.peak / 2**20, "rss_at_start_mb": rss.start_rss / 2**20,
            "summary": summary, "stderr_tail": result.stderr[-800:] if result.exit_code not in (0, 2) else ""}


def clients(endpoint_url: str, counter: Counter | None = None, region: str = REGION):
    config = Config(retries={"mode": "standard", "max_attempts": 8}, max_pool_connections=32)
    made = {}

    def client(service: str):
        if service not in made:
            made[service] = boto3.client(service, region_name=region, endpoint_url=endpoint_url,
                                         aws_access_key_id="bench", aws_secret_access_key="bench",
                                         config=config)
            if counter is not None:
                made[service].meta.events.register(
                    "before-sign", lambda operation_name, _s=service, **_: counter.update([f"{_s}.{operation_name}"]))
        return made[service]
    return client


def list_floor(endpoint_url: str, declared_dashboards: set[str], declared_topics: set[str]) -> dict:
    """The same reads obsctl's plan needs, in plain boto3: every listing paged at its maximum
    page size, the independent ones concurrently, per-resource reads only where no batched
    call exists (GetDashboard, GetTopicAttributes) and only for declared resources."""
    counter: Counter = Counter()
    client = clients(endpoint_url, counter)
    for service in ("sts", "cloudwatch", "logs", "sns", "resourcegroupstaggingapi"):
        client(service)  # created up front: client creation is not part of the floor

    def paged(service, operation, key, **kwargs):
        return [item for page in client(service).get_paginator(operation).paginate(**kwargs)
                for item in page[key]]

    def alarms():
        return paged("cloudwatch", "describe_alarms", "MetricAlarms",
                     AlarmTypes=["MetricAlarm"], PaginationConfig={"PageSize": 100})

    def tags(resource_type):
        return paged("resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList",
                     ResourceTypeFilters=[resource_type], TagFilters=[{"Key": "obsctl:stack"}],
                     ResourcesPerPage=100)

    def dashboards():
        entries = paged("cloudwatch", "list_dashboards", "DashboardEntries")
        wanted = [e["DashboardName"] for e in entries if e["DashboardName"] in declared_dashboards]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: client("cloudwatch").get_dashboard(DashboardName=n), wanted))
        return entries, wanted

    def topics():
        arns = [t["TopicArn"] for t in paged("sns", "list_topics", "Topics")]
        subs = paged("sns", "list_subscriptions", "Subscriptions")
        wanted = [a for a in arns if a.rsplit(":", 1)[1] in declared_topics]
        for arn in wanted:
            client("sns").get_topic_attributes(TopicArn=arn)
        return arns, subs, wanted

    started = time.perf_counter()
    client("sts").get_caller_identity()
    with ThreadPoolExecutor(8) as pool:
        futures = {
            "alarms": pool.submit(alarms),
            "log_groups": pool.submit(paged, "logs", "describe_log_groups", "logGroups",
                                      PaginationConfig={"PageSize": 50}),
            "metric_filters": pool.submit(paged, "logs", "describe_metric_filters", "metricFilters",
                                          PaginationConfig={"PageSize": 50}),
            "dashboards": pool.submit(dashboards),
            "topics": pool.submit(topics),
            **{f"tags {t}": pool.submit(tags, t) for t in OWNER_TAG_TYPES},
        }
        results = {name: future.result() for name, future in futures.items()}
    wall = time.perf_counter() - started
    entries, declared_dash_live = results["dashboards"]
    arns, subs, declared_topics_live = results["topics"]
    state = {"alarms": len(results["alarms"]), "log_groups": len(results["log_groups"]),
             "metric_filters": len(results["metric_filters"]), "dashboards": len(entries),
             "declared_dashboards_live": len(declared_dash_live), "topics": len(arns),
             "subscriptions": len(subs), "declared_topics_live": len(declared_topics_live),
             **{f"owned {t}": len(results[f"tags {t}"]) for t in OWNER_TAG_TYPES}}
    return {"wall_s": wall, "calls": dict(sorted(counter.items())),
            "total_calls": sum(counter.values()), "state": state}


def pages(items: int, per_page: int) -> int:
    return max(1, math.ceil(items / per_page))  # an empty listing is still one call


def read_minimum(state: dict, alarm_creates: int = 0) -> dict[str, int]:
    """SPEC §6: the fewest read calls that can observe `state`, by operation. The bench stack
    declares alarms, log groups, metric filters, dashboards and topics and plans without
    --prune, so those are the kinds to observe (obsctl reads no other kind then).

    An apply that creates alarms reads their names once more right before the writes (one
    DescribeAlarms per 100 names), so that an alarm made by someone else since the plan is
    never overwritten: `alarm_creates` counts those names."""
    minimum = {
        "cloudwatch.DescribeAlarms": (pages(state["alarms"], 100)
                                      + (pages(alarm_creates, 100) if alarm_creates else 0)),
        "logs.DescribeLogGroups": pages(state["log_groups"], 50),
        "logs.DescribeMetricFilters": pages(state["metric_filters"], 50),
        "resourcegroupstaggingapi.GetResources": sum(pages(state[f"owned {t}"], 100)
                                                     for t in OWNER_TAG_TYPES),
        "cloudwatch.ListDashboards": pages(state["dashboards"], 1000),
        "cloudwatch.GetDashboard": state["declared_dashboards_live"],
        "sns.ListTopics": pages(state["topics"], 100),
        "sns.ListSubscriptions": pages(state["subscriptions"], 100),
        "sns.GetTopicAttributes": state["declared_topics_live"],
        "sts.GetCallerIdentity": 1,
    }
    return {k: v for k, v in minimum.items() if v}


def write_minimum(n: dict[str, int], action: str) -> int:
    """Fewest writes to create everything: one Put/Create per resource, plus PutRetentionPolicy
    per log group (CreateLogGroup takes no retention) and Subscribe per subscription."""
    if action != "create":
        return 0
    return (n["alarms"] + 2 * n["log_groups"] + n["metric_filters"] + n["dashboards"]
            + 2 * n["topics"])


def drift(endpoint_url: str, names: list[str], share: float) -> list[str]:
    """Raise the threshold of `share` of the alarms that have one, out of band."""
    cloudwatch = clients(endpoint_url)("cloudwatch")
    allowed = set(cloudwatch.meta.service_model.operation_model("PutMetricAlarm").input_shape.members)
    candidates = [n for n in names if not n.endswith("-anomaly")]
    count = max(1, round(len(names) * share))
    chosen = candidates[:: max(1, len(candidates) // count)][:count]
    for start in range(0, len(chosen), 100):
        for alarm in cloudwatch.describe_alarms(AlarmNames=chosen[start:start + 100])["MetricAlarms"]:
            request = {k: v for k, v in alarm.items() if k in allowed and v not in (None, [], "")}
            request.pop("Tags", None)
            request["Threshold"] = alarm["Threshold"] + 1
            cloudwatch.put_metric_alarm(**request)
    return chosen


# --- org scale: many stacks in several regions ---------------------------------------------------

ORG_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2")
ORG_FULL = {"stacks_per_region": 40, "alarms": 30, "log_groups": 5}  # per stack


def org_sizes(scale: float) -> dict[str, int]:
    return {"stacks_per_region": max(2, round(ORG_FULL["stacks_per_region"] * scale)),
            "alarms": ORG_FULL["alarms"], "log_groups": ORG_FULL["log_groups"],
            "regions": len(ORG_REGIONS)}


def write_org(directory: Path, n: dict[str, int]) -> None:
    """One directory per stack: `stacks_per_region` stacks in each of ORG_REGIONS, each with
    `alarms` alarms and `log_groups` log groups."""
    for region in ORG_REGIONS:
        for s in range(n["stacks_per_region"]):
            name = f"org-{region}-{s:02d}"
            alarms = "".join(
                f"  {name}-a{a:02d}:\n"
                f"    metric: {{namespace: AWS/SageMaker, name: ModelLatency, dimensions: "
                f"{{EndpointName: {name}-{a % 5}, VariantName: AllTraffic}}, stat: p90, period: 60}}\n"
                f"    when: '> {1000 + a}'\n    evaluation_periods: 3\n" for a in range(n["alarms"]))
            groups = "".join(f"  /aws/sagemaker/Endpoints/{name}-{g}: {{retention_days: 30}}\n"
                             for g in range(n["log_groups"]))
            stack_dir = directory / name
            stack_dir.mkdir(parents=True)
            (stack_dir / "stack.yaml").write_text(
                f"stack: {name}\nregion: {region}\ntags: {{team: ml-platform}}\n"
                f"alarms:\n{alarms}log_groups:\n{groups}")


def org_floor(endpoint_url: str) -> dict:
    """What a plan of every stack needs at least: each region listed once, in plain boto3 —
    alarms, log groups and the owned tags of both, at their maximum page sizes, concurrently
    within a region and across regions, plus one GetCallerIdentity."""
    counter: Counter = Counter()
    per_region = {region: clients(endpoint_url, counter, region) for region in ORG_REGIONS}
    for client in per_region.values():
        for service in ("sts", "cloudwatch", "logs", "resourcegroupstaggingapi"):
            client(service)

    def paged(client, service, operation, key, **kwargs):
        return len([item for page in client(service).get_paginator(operation).paginate(**kwargs)
                    for item in page[key]])

    def listings(client):
        return {
            "alarms": lambda: paged(client, "cloudwatch", "describe_alarms", "MetricAlarms",
                                    AlarmTypes=["MetricAlarm"], PaginationConfig={"PageSize": 100}),
            "log_groups": lambda: paged(client, "logs", "describe_log_groups", "logGroups",
                                        PaginationConfig={"PageSize": 50}),
            **{f"owned {t}": (lambda t=t: paged(
                client, "resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList",
                ResourceTypeFilters=[t], TagFilters=[{"Key": "obsctl:stack"}], ResourcesPerPage=100))
               for t in ("cloudwatch:alarm", "logs:log-group")},
        }

    started = time.perf_counter()
    per_region[ORG_REGIONS[0]]("sts").get_caller_identity()
    with ThreadPoolExecutor(8 * len(ORG_REGIONS)) as pool:
        futures = {(region, name): pool.submit(read) for region, client in per_region.items()
                   for name, read in listings(client).items()}
        counts = {f"{region} {name}": future.result() for (region, name), future in futures.items()}
    wall = time.perf_counter() - started
    return {"wall_s": wall, "calls": dict(sorted(counter.items())),
            "total_calls": sum(counter.values()), "state": counts}


def org_phases(url: str, tmp: str, scale: float, results: dict) -> None:
    """Apply every stack of the org from empty (regions side by side), then plan them all
    with no change, next to the list-only floor measured right after."""
    n = org_sizes(scale)
    directory = Path(tmp) / "org"
    write_org(directory, n)
    stacks = n["stacks_per_region"] * n["regions"]
    print(f"obsctl bench, org scale: {stacks} stacks x ({n['alarms']} alarms + "
          f"{n['log_groups']} log groups) in {n['regions']} regions", file=sys.stderr)
    results["org_sizes"] = n
    common = [str(directory), "--endpoint-url", url, "--quiet"]
    for label, command, extra in (("org apply", "apply", ["--auto-approve"]),
                                  ("org no-change plan", "plan", [])):
        print(f"  {label} ...", file=sys.stderr, flush=True)
        record = run_cli(command, *common, *extra)
        record["reads"] = record["total_calls"] - record["writes"]
        if command == "plan":
            record["floor"] = org_floor(url)
            record["calls_per_floor"] = record["reads"] / record["floor"]["total_calls"]
            record["wall_per_floor"] = record["wall_s"] / record["floor"]["wall_s"]
        results["phases"][label] = record
        print(f"    {record['wall_s']:.1f}s, {record['total_calls']} calls, "
              f"exit {record['exit_code']}: {record['summary']}", file=sys.stderr)


# --- local normalize + diff -------------------------------------------------------------------

def yaml_general_composer(paths: list[str]) -> float:
    """Seconds to read `paths` through the general composer only: what the fast path saves."""
    from reconciler.config import compose_yaml
    from reconciler.config.loader import gc_paused

    started = time.perf_counter()
    for path in paths:
        with gc_paused():
            compose_yaml.Builder(path).document(compose_yaml.compose_document(Path(path).read_text()))
    return time.perf_counter() - started


def local_diff(count: int, directory: Path) -> dict:
    """Normalize and diff `count` alarms without AWS: the CPU cost of a plan."""
    from reconciler.aws import Scope
    from reconciler.config import load_documents, load_stacks
    from reconciler.engine import _compare
    from reconciler.kinds import KINDS
    from reconciler.kinds.alarms import live_spec, put_request
    from reconciler.kinds.base import Live

    n = {"alarms": count, "log_groups": 1, "metric_filters": 1, "dashboards": 1, "topics": 20}
    paths = write_stack(directory, n, alarms_per_file=2500)
    timings = {}
    started = time.perf_counter()
    stack = load_stacks(paths, KINDS)[0]
    timings["load_validate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    load_documents(paths)  # the YAML alone again, for the split
    yaml_s = time.perf_counter() - started
    timings["yaml_general_s"] = yaml_general_composer(paths)
    scope = Scope(region=REGION, account_id="123456789012")
    kind = KINDS["alarms"]
    cpu_desired = time.process_time()
    started = time.perf_counter()
    desired = kind.desired(stack, scope)
    timings["desired_s"] = time.perf_counter() - started
    cpu = time.process_time() - cpu_desired
    # What DescribeAlarms would answer: the PutMetricAlarm request plus read-only fields, with
    # dimensions reordered; 1% with another threshold (drift).
    described = []
    for i, (name, want) in enumerate(desired.items()):
        alarm = put_request(name, want.spec) | {"AlarmArn": scope.arn("cloudwatch", f"alarm:{name}"),
                                                "StateValue": "OK"}
        if "Dimensions" in alarm:
            alarm["Dimensions"] = list(reversed(alarm["Dimensions"]))
        if i % 100 == 0 and "Threshold" in alarm:
            alarm["Threshold"] += 1
        described.append((name, alarm, want.spec["tags"]))
    cpu_rest = time.process_time()
    started = time.perf_counter()
    live = {name: Live(name, live_spec(alarm, tags, scope), tags=tags,
                       identity={"arn": alarm["AlarmArn"]}) for name, alarm, tags in described}
    timings["normalize_live_s"] = time.perf_counter() - started
    started = time.perf_counter()
    changes = [c for name in desired
               if (c := _compare(stack, kind, desired[name], live.get(name), False))]
    timings["diff_s"] = time.perf_counter() - started
    cpu += time.process_time() - cpu_rest
    timings["changes"] = len(changes)
    timings["resources"] = len(desired)
    timings["total_s"] = (timings["load_validate_s"] + timings["desired_s"]
                          + timings["normalize_live_s"] + timings["diff_s"])
    # The issue's target (< 1 s for 10,000): what a plan computes once the config is loaded.
    timings["normalize_diff_s"] = timings["desired_s"] + timings["normalize_live_s"] + timings["diff_s"]
    timings["yaml_s"] = yaml_s  # part of load_validate_s, measured on its own
    timings["normalize_diff_cpu_s"] = cpu  # the same, in CPU time: less at the mercy of load
    return timings


# --- main ---------------------------------------------------------------------------------

PHASES = ("stack", "org", "growth", "rates")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="Fraction of the full stack (5,000 alarms ...); 0.1 for a quick run.")
    parser.add_argument("--diff-resources", type=int, default=None,
                        help="Alarms in the local normalize+diff benchmark (default 10,000 x scale).")
    parser.add_argument("--phase", action="append", choices=PHASES, dest="phases",
                        help="Run only these groups of phases (repeatable; default all): stack "
                             "(one big stack, and local normalize+diff), org (many stacks in four "
                             "regions; alone, without the big stack's resources in the emulator), "
                             "growth (validate and plan of N and 10 x N stacks), rates (paced "
                             "applies in one and two regions).")
    parser.add_argument("--no-org", action="store_true",
                        help="Leave out the org-scale phases (many stacks in four regions).")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    phases = [p for p in PHASES if p in (args.phases or PHASES)
              and not (p == "org" and args.no_org)]

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION=REGION)
    os.environ.pop("AWS_PROFILE", None)
    n = sizes(args.scale)
    diff_count = args.diff_resources or max(100, round(10_000 * args.scale))
    bench_started = time.perf_counter()
    results: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "scale": args.scale, "sizes": n, "machine": {"cpus": os.cpu_count(),
                                                                   "python": sys.version.split()[0]},
                     "rss_method": "peak of /proc/self/statm resident pages, sampled every 10 ms "
                                   "during the phase (whole process)",
                     "selected": phases, "phases": {}, "durations_s": {}}
    with tempfile.TemporaryDirectory(prefix="obsctl-bench-") as tmp:
        if "stack" in phases or "org" in phases:
            with Emulator() as emulator:
                if "stack" in phases:
                    started = time.perf_counter()
                    stack_phases(emulator.endpoint_url, tmp, n, results)
                    results["durations_s"]["stack"] = time.perf_counter() - started
                if "org" in phases:
                    started = time.perf_counter()
                    org_phases(emulator.endpoint_url, tmp, args.scale, results)
                    results["durations_s"]["org"] = time.perf_counter() - started
        if "stack" in phases:
            print("  local normalize+diff ...", file=sys.stderr, flush=True)
            diff_dir = Path(tmp) / "diff"
            diff_dir.mkdir()
            results["local_diff"] = local_diff(diff_count, diff_dir)
        if "growth" in phases or "rates" in phases:
            with Emulator() as emulator:  # empty: these phases measure obsctl's own growth
                if "growth" in phases:
                    started = time.perf_counter()
                    scaling.growth_phases(emulator.endpoint_url, tmp, args.scale, results,
                                          write_org, ORG_REGIONS)
                    results["durations_s"]["growth"] = time.perf_counter() - started
                if "rates" in phases:
                    started = time.perf_counter()
                    scaling.rate_phases(emulator.endpoint_url, tmp, results)
                    results["durations_s"]["rates"] = time.perf_counter() - started
    results["bench_wall_s"] = time.perf_counter() - bench_started
    results["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    args.output.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.output / f"{stamp}.json"
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print_table(results)
    print(f"\nJSON: {out}")
    runs = [*results["phases"].values(), *results.get("rates", {}).values(),
            *results.get("growth", {}).values()]
    bad = [run for run in runs if isinstance(run, dict) and "exit_code" in run
           and run["exit_code"] not in (0, 2)]
    return 1 if bad else 0


def stack_phases(url: str, tmp: str, n: dict[str, int], results: dict) -> None:
    """The big stack: cold plan, apply, no-change plan and apply, plan after 1% drift."""
    config_dir = Path(tmp) / "stack"
    config_dir.mkdir()
    write_stack(config_dir, n)
    declared_dashboards = {f"bench-{d:03d}" for d in range(n["dashboards"])}
    declared_topics = {f"oncall-{t:02d}" for t in range(n["topics"])}
    names = alarm_names(n["alarms"])
    print(f"obsctl bench: {n} in {len(list(config_dir.iterdir()))} files", file=sys.stderr)
    common = [str(config_dir), "--endpoint-url", url, "--quiet"]

    def phase(label: str, command: str, *extra: str, floor: bool = False,
              creates: bool = False) -> None:
        state = list_floor(url, declared_dashboards, declared_topics)["state"]
        print(f"  {label} ...", file=sys.stderr, flush=True)
        record = run_cli(command, *common, *extra)
        record["state_before"] = state
        record["read_minimum"] = read_minimum(
            state, n["alarms"] - state["alarms"] if creates and command == "apply" else 0)
        record["read_minimum_total"] = sum(record["read_minimum"].values())
        record["reads"] = record["total_calls"] - record["writes"]
        record["write_minimum"] = write_minimum(n, "create" if creates else "none")
        if floor:
            record["floor"] = list_floor(url, declared_dashboards, declared_topics)
        results["phases"][label] = record
        print(f"    {record['wall_s']:.1f}s, {record['total_calls']} calls, "
              f"exit {record['exit_code']}: {record['summary']}", file=sys.stderr)

    phase("cold plan", "plan", floor=True)
    phase("apply", "apply", "--auto-approve", creates=True)
    phase("no-change plan", "plan", floor=True)
    phase("no-change apply", "apply", "--auto-approve")
    drifted = drift(url, names, 0.01)
    results["drifted_alarms"] = len(drifted)
    phase("plan, 1% drift", "plan", floor=True)


def org_table(results: dict):
    from rich.table import Table

    n = results["org_sizes"]
    table = Table(title=f"org scale — {n['stacks_per_region'] * n['regions']} stacks "
                        f"({n['stacks_per_region']} in each of {n['regions']} regions) x "
                        f"({n['alarms']} alarms + {n['log_groups']} log groups)")
    for column in ("phase", "wall s", "calls", "reads", "writes", "floor s", "floor calls",
                   "reads/floor", "wall/floor", "peak RSS MB", "result"):
        table.add_column(column, justify="left" if column in ("phase", "result") else "right")
    for label, p in results["phases"].items():
        if not label.startswith("org "):
            continue
        floor = p.get("floor")
        table.add_row(label, f"{p['wall_s']:.2f}", str(p["total_calls"]), str(p["reads"]),
                      str(p["writes"]), f"{floor['wall_s']:.2f}" if floor else "",
                      str(floor["total_calls"]) if floor else "",
                      f"{p['calls_per_floor']:.2f}" if floor else "",
                      f"{p['wall_per_floor']:.2f}" if floor else "",
                      f"{p['peak_rss_mb']:.0f}", p["summary"] or f"exit {p['exit_code']}")
    return table


def print_table(results: dict) -> None:
    from rich.console import Console

    console = Console(width=200)
    stack_phases = {label: p for label, p in results["phases"].items()
                    if not label.startswith("org ")}
    if stack_phases:
        print_stack_tables(console, results, stack_phases)
    if "org_sizes" in results:
        console.print(org_table(results))
    if "local_diff" in results:
        d = results["local_diff"]
        console.print(f"local normalize+diff of {d['resources']} alarms (no AWS): "
                      f"load+validate {d['load_validate_s']:.2f}s (YAML alone {d['yaml_s']:.2f}s; "
                      f"{d['yaml_general_s']:.2f}s without the fast path), "
                      f"desired {d['desired_s']:.2f}s, normalize live {d['normalize_live_s']:.2f}s, "
                      f"diff {d['diff_s']:.2f}s = {d['total_s']:.2f}s; normalize+diff "
                      f"{d['normalize_diff_s']:.2f}s (CPU {d['normalize_diff_cpu_s']:.2f}s); "
                      f"{d['changes']} changes found")
    if "growth" in results:
        console.print(scaling.growth_table(results))
    if "rates" in results:
        console.print(scaling.rates_line(results))
    durations = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in results["durations_s"].items())
    console.print(f"bench wall {results['bench_wall_s']:.0f}s ({durations}); process ru_maxrss "
                  f"{results['ru_maxrss_mb']:.0f} MB; RSS: {results['rss_method']}")


def print_stack_tables(console, results: dict, stack_phases: dict) -> None:
    from rich.table import Table

    n = results["sizes"]
    title = (f"obsctl bench — {n['alarms']} alarms, {n['log_groups']} log groups, "
             f"{n['metric_filters']} metric filters, {n['dashboards']} dashboards, "
             f"{n['topics']} topics (scale {results['scale']})")
    table = Table(title=title)
    for column, justify in [("phase", "left"), ("wall s", "right"), ("calls", "right"),
                            ("reads", "right"), ("read min", "right"), ("reads/min", "right"),
                            ("writes", "right"), ("write min", "right"), ("floor s", "right"),
                            ("floor calls", "right"), ("plan/floor", "right"),
                            ("peak RSS MB", "right"), ("result", "left")]:
        table.add_column(column, justify=justify)
    for label, p in stack_phases.items():
        floor = p.get("floor")
        table.add_row(
            label, f"{p['wall_s']:.2f}", str(p["total_calls"]), str(p["reads"]),
            str(p["read_minimum_total"]), f"{p['reads'] / p['read_minimum_total']:.2f}",
            str(p["writes"]), str(p["write_minimum"]),
            f"{floor['wall_s']:.2f}" if floor else "", str(floor["total_calls"]) if floor else "",
            f"{p['wall_s'] / floor['wall_s']:.2f}" if floor else "",
            f"{p['peak_rss_mb']:.0f}", p["summary"] or f"exit {p['exit_code']}")
    console.print(table)
    ops = Table(title="reads by operation (calls / minimum)")
    ops.add_column("operation")
    for label in stack_phases:
        ops.add_column(label, justify="right")
    all_ops = sorted({op for p in stack_phases.values() for op in p["calls"]}
                     | {op for p in stack_phases.values() for op in p["read_minimum"]})
    for op in all_ops:
        cells = []
        for p in stack_phases.values():
            calls, minimum = p["calls"].get(op, 0), p["read_minimum"].get(op)
            cells.append(f"{calls} / {minimum}" if minimum is not None else str(calls or ""))
        ops.add_row(op, *cells)
    console.print(ops)


if __name__ == "__main__":
    sys.exit(main())
