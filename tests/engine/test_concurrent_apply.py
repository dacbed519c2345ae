"""Two applies of one stack at once (a local run while CI applies) must not duplicate anything:
saved queries, whose names AWS does not keep unique, are created with an idempotency token, and
identical extra copies that exist anyway are planned for deletion instead of stopping the plan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from faultproxy import FaultProxy, ProxiedRequest  # noqa: E402
from helpers import (addresses, apply_ok, assert_converged, assert_no_changes, change,  # noqa: E402
                     plan_json, summary)

REPO = Path(__file__).resolve().parents[2]
CONFIG = """
stack: racing
queries:
  errors-per-hour:
    log_groups: [/ml/churn]
    query: filter @message like /(?i)error/ | stats count(*) as errors by bin(1h)
  overhead:
    log_groups: [/ml/churn, /ml/fraud]
    query: fields @timestamp, @message | filter @message like /overhead/
"""


def queries(boto) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for d in boto("logs").describe_query_definitions()["queryDefinitions"]:
        found.setdefault(d["name"], []).append(d["queryDefinitionId"])
    return found


def creates_meet(parties: int = 2, timeout: float = 60):
    """A proxy rule holding each query create (PutQueryDefinition without an id) until
    `parties` creates of that name arrived: both applies have planned the create, and their
    writes reach AWS together, whatever the machine's speed."""
    barriers: dict[str, threading.Barrier] = {}
    lock = threading.Lock()

    def rule(request: ProxiedRequest):
        if request.operation != "PutQueryDefinition":
            return None
        body = json.loads(request.body)
        if "queryDefinitionId" in body:
            return None
        with lock:
            barrier = barriers.setdefault(body["name"], threading.Barrier(parties, timeout=timeout))
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return None
    return rule


def test_two_applies_at_once_create_each_saved_query_once(aws, boto, obsctl, write_config):
    path = write_config(CONFIG)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
    with FaultProxy(aws.endpoint_url, fault_rate=0, rules=[creates_meet()]) as proxy:
        command = [sys.executable, "-m", "reconciler", "apply", path, "--auto-approve", "-q",
                   "--endpoint-url", proxy.endpoint_url]
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, env=env) for _ in range(2)]
        outputs = [run.communicate(timeout=180) for run in runs]
    for run, (out, err) in zip(runs, outputs):
        assert run.returncode == 0, out.decode() + err.decode()
        assert b"Apply complete: 2 created" in out
    assert {name: len(ids) for name, ids in queries(boto).items()} == {
        "errors-per-hour": 1, "overhead": 1}
    assert_no_changes(obsctl, path)


def test_identical_extra_copies_are_planned_as_deletes(aws, boto, obsctl, write_config):
    """Copies made before creates were idempotent: every copy is exactly what the stack
    declares, so the one with the lowest id stays and the others are deleted (no --prune
    needed, not counted as a mass delete)."""
    path = write_config(CONFIG)
    for _ in range(3):
        boto("logs").put_query_definition(
            name="overhead", queryString="fields @timestamp, @message | filter @message like /overhead/",
            logGroupNames=["/ml/fraud", "/ml/churn"])
    kept, *extra = sorted(queries(boto)["overhead"])
    doc = plan_json(obsctl, path, "--detailed-exitcode", exit_codes=(2,))
    assert addresses(doc, "delete") == sorted(f"queries/overhead#{copy}" for copy in extra)
    for copy in extra:
        assert change(doc, f"queries/overhead#{copy}")["reason"] == (
            "duplicate: the same as queries/overhead, which stays")
    assert addresses(doc, "create") == ["queries/errors-per-hour"]
    assert doc["summary"] == summary(create=1, delete=2)
    applied = apply_ok(obsctl, path)
    assert f"- queries/overhead#{extra[0]}: deleted" in applied.stdout
    assert queries(boto)["overhead"] == [kept]
    assert_converged(obsctl, path)


def test_copies_that_differ_from_the_config_still_stop_the_plan(aws, boto, obsctl, write_config):
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    boto("logs").put_query_definition(name="overhead", queryString="fields @message",
                                      logGroupNames=["/ml/churn"])
    plan = obsctl("plan", path)
    assert plan.exit_code == 1
    assert "queries/overhead: 2 saved Logs Insights queries in AWS share this name" in plan.stderr


def test_a_query_deleted_and_applied_again_is_created_again(aws, boto, obsctl, write_config):
    """The create repeats the token of the first create, which AWS answers with the deleted
    definition's id; obsctl notices and creates it afresh."""
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    (gone,) = queries(boto)["overhead"]
    boto("logs").delete_query_definition(queryDefinitionId=gone)
    again = apply_ok(obsctl, path)
    assert "+ queries/overhead: created" in again.stdout
    assert len(queries(boto)["overhead"]) == 1
    assert_converged(obsctl, path)
