"""`make bench`, the phases that run obsctl as a user does, in a subprocess of its own: how
validate and plan grow with the number of stacks (`growth`), and paced applies in two regions
side by side (`rates`). Both start from an empty emulator of their own.

- growth: `obsctl validate` and `obsctl plan` of N and 10 x N stacks (N = 40 at scale 1; the
  stacks of the org phase's shape, 30 alarms and 5 log groups each, spread over its four
  regions). The plan is a cold one: nothing exists yet, every resource is a create, so the
  reads are a few empty listings and what grows is obsctl's own work (loading, validating,
  desired forms, cross-stack checks, rendering). Wall from the parent, peak RSS of that child
  alone (its VmHWM at exit), next to `obsctl --help` (the interpreter and imports) as the
  start-up baseline.
- rates: with OBSCTL_RATE_LIMITS=aws, `obsctl apply` of 30 alarms in one region, then of 30
  alarms in each of two other regions in one run. PutMetricAlarm is paced to 3/s per account
  and region, so 30 alarms take about 10 s; two regions side by side take about as long,
  one after the other would take twice that.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GROWTH_FACTOR = 10
GROWTH_STACKS = 40  # at scale 1; the larger run has GROWTH_FACTOR times as many
RATE_ALARMS = 30  # per region
_CALLS_LINE = re.compile(r"^api calls: (\d+)")


# The child reports its own peak RSS at exit: VmHWM of its memory after exec. ru_maxrss (from
# wait4 or getrusage) would not do: Linux carries the parent's peak across fork and exec, so
# every child of a bench process of 300 MB would report at least 300 MB.
_LAUNCHER = """
import atexit, os, resource, sys

def report():
    try:
        with open('/proc/self/status') as status:
            peak_kb = next(line.split()[1] for line in status if line.startswith('VmHWM:'))
    except (OSError, StopIteration):  # not Linux
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(os.environ['OBSCTL_BENCH_PEAK_RSS'], 'w') as out:
        out.write(str(peak_kb))

atexit.register(report)
from reconciler.cli import main
sys.argv[0] = 'obsctl'
main()
"""


def run_obsctl(*args: str, env: dict[str, str] | None = None) -> dict:
    """obsctl ARGS in a child process: its wall time, exit code, API calls (with --stats)
    and peak RSS."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as peak:
        started = time.perf_counter()
        child = subprocess.run([sys.executable, "-c", _LAUNCHER, *args],
                               stdout=subprocess.DEVNULL, stderr=err,
                               env={**os.environ, **(env or {}), "OBSCTL_BENCH_PEAK_RSS": peak.name})
        wall = time.perf_counter() - started
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        peak_kb = int(peak.read() or 0)
    calls = next((int(m.group(1)) for line in stderr.splitlines()
                  if (m := _CALLS_LINE.match(line))), None)
    return {"wall_s": wall, "exit_code": child.returncode, "calls": calls,
            "peak_rss_mb": peak_kb / 1024,
            "stderr_tail": stderr[-800:] if child.returncode not in (0, 2) else ""}


def growth_phases(url: str, tmp: str, scale: float, results: dict, write_org, regions) -> None:
    """validate and cold plan of N and 10 x N stacks, each in a child process."""
    per_region = max(1, round(GROWTH_STACKS * scale / len(regions)))
    sizes = {"1x": per_region, f"{GROWTH_FACTOR}x": per_region * GROWTH_FACTOR}
    run_obsctl("--help")  # warms the file cache: the first start of Python pays for it
    record: dict = {"start-up": run_obsctl("--help")}
    print(f"obsctl bench, growth: {per_region * len(regions)} and "
          f"{per_region * len(regions) * GROWTH_FACTOR} stacks", file=sys.stderr)
    for label, stacks_per_region in sizes.items():
        directory = Path(tmp) / f"growth-{label}"
        write_org(directory, {"stacks_per_region": stacks_per_region, "alarms": 30,
                              "log_groups": 5})
        stacks = stacks_per_region * len(regions)
        for command, extra in (("validate", []), ("plan", ["--endpoint-url", url, "--quiet"])):
            print(f"  {command} {stacks} stacks ...", file=sys.stderr, flush=True)
            run = run_obsctl("--stats", command, str(directory), *extra)
            run["stacks"] = stacks
            record[f"{command} {label}"] = run
            print(f"    {run['wall_s']:.1f}s, {run['peak_rss_mb']:.0f} MB, exit {run['exit_code']}",
                  file=sys.stderr)
    for command in ("validate", "plan"):
        small, large = record[f"{command} 1x"], record[f"{command} {GROWTH_FACTOR}x"]
        record[f"{command} ratios"] = {"wall": large["wall_s"] / small["wall_s"],
                                       "rss": large["peak_rss_mb"] / small["peak_rss_mb"]}
    results["growth"] = record


def write_rate_stack(directory: Path, name: str, region: str) -> None:
    alarms = "".join(f"  {name}-{a:02d}:\n"
                     f"    metric: {{namespace: Bench/Rates, name: Errors{a}, stat: Sum, period: 60}}\n"
                     f"    when: '> {a + 1}'\n" for a in range(RATE_ALARMS))
    directory.mkdir(parents=True)
    (directory / "stack.yaml").write_text(f"stack: {name}\nregion: {region}\nalarms:\n{alarms}")


def rate_phases(url: str, tmp: str, results: dict) -> None:
    """Paced applies (OBSCTL_RATE_LIMITS=aws): one region alone, then two side by side."""
    root = Path(tmp) / "rates"
    write_rate_stack(root / "one" / "solo", "rates-solo", "ap-southeast-2")
    write_rate_stack(root / "two" / "east", "rates-east", "us-east-1")
    write_rate_stack(root / "two" / "west", "rates-west", "eu-west-1")
    record = {}
    for label, directory, regions in (("one region", root / "one", 1),
                                      ("two regions", root / "two", 2)):
        print(f"  paced apply, {RATE_ALARMS} alarms in {label} ...", file=sys.stderr, flush=True)
        run = run_obsctl("--stats", "apply", str(directory), "--endpoint-url", url, "--quiet",
                         "--auto-approve", env={"OBSCTL_RATE_LIMITS": "aws"})
        run["alarms"] = RATE_ALARMS * regions
        record[label] = run
        print(f"    {run['wall_s']:.1f}s, exit {run['exit_code']}", file=sys.stderr)
    record["two / one"] = record["two regions"]["wall_s"] / record["one region"]["wall_s"]
    results["rates"] = record


def growth_table(results: dict):
    from rich.table import Table

    growth = results["growth"]
    factor = f"{GROWTH_FACTOR}x"
    table = Table(title=f"growth — validate and cold plan, {growth['validate 1x']['stacks']} vs "
                        f"{growth[f'validate {factor}']['stacks']} stacks (30 alarms + 5 log "
                        "groups each), one child process per run")
    for column in ("command", "stacks", "wall s", "peak RSS MB", "exit"):
        table.add_column(column, justify="left" if column == "command" else "right")
    base = growth["start-up"]
    table.add_row("start-up (obsctl --help)", "", f"{base['wall_s']:.2f}",
                  f"{base['peak_rss_mb']:.0f}", str(base["exit_code"]))
    for command in ("validate", "plan"):
        for label in ("1x", factor):
            run = growth[f"{command} {label}"]
            table.add_row(command, str(run["stacks"]), f"{run['wall_s']:.2f}",
                          f"{run['peak_rss_mb']:.0f}", str(run["exit_code"]))
        ratios = growth[f"{command} ratios"]
        table.add_row(f"{command}: {factor} the stacks", f"x{GROWTH_FACTOR}",
                      f"x{ratios['wall']:.2f}", f"x{ratios['rss']:.2f}", "")
    table.caption = (f"x{GROWTH_FACTOR} the stacks -> at most x{GROWTH_FACTOR} the wall and the "
                     "peak RSS: growth no worse than linear")
    return table


def rates_line(results: dict) -> str:
    rates = results["rates"]
    one, two = rates["one region"], rates["two regions"]
    return (f"paced apply (OBSCTL_RATE_LIMITS=aws, PutMetricAlarm 3/s per account-region): "
            f"{one['alarms']} alarms in one region {one['wall_s']:.1f}s; {RATE_ALARMS} in each "
            f"of two regions {two['wall_s']:.1f}s (x{rates['two / one']:.2f}; one region after "
            f"the other would be about x2); exit codes {one['exit_code']}, {two['exit_code']}")
