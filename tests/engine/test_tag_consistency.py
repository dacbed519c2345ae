"""Right after an apply, AWS's tagging API may not list the resources it just created yet
(it is fed asynchronously): the plan confirms their tags with the services themselves, so it
stays empty instead of calling them unowned."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from faultproxy import FaultProxy, not_yet_indexed  # noqa: E402
from tests.helpers import apply_ok, change, field_diffs  # noqa: E402

CONFIG = """
stack: test
topics:
  oncall: {}
log_groups:
  /ml/app: {retention_days: 14}
alarms:
  latency:
    metric: {namespace: ML, name: Latency, stat: p90, period: 60}
    when: "> 500"
    actions: {alarm: [topic:oncall]}
"""


def test_plan_after_apply_is_empty_while_the_tagging_api_lags(obsctl, write_config, aws):
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    with FaultProxy(aws.endpoint_url, fault_rate=0, latency=(0, 0),
                    rules=[not_yet_indexed()]) as proxy:
        plan = obsctl("plan", path, "--detailed-exitcode", "--format", "json",
                      "--endpoint-url", proxy.endpoint_url)
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert json.loads(plan.stdout)["changes"] == []
    assert proxy.stats.injected["stale"] == 3  # one GetResources per tag type, all empty
    # One confirmation per declared resource the tagging API did not list.
    assert plan.calls["cloudwatch.ListTagsForResource"] == 1
    assert plan.calls["logs.ListTagsForResource"] == 1
    assert plan.calls["sns.ListTagsForResource"] == 1


def test_no_confirmation_when_the_tagging_api_lists_everything(obsctl, write_config):
    path = write_config(CONFIG)
    apply_ok(obsctl, path)
    plan = obsctl("plan", path, "--detailed-exitcode")
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert not [op for op in plan.calls if op.endswith("ListTagsForResource")]


def test_an_untagged_resource_is_still_a_conflict_with_its_real_tags(obsctl, write_config, boto):
    boto("logs").create_log_group(logGroupName="/ml/app", tags={"team": "data"})
    plan = obsctl("plan", write_config(CONFIG), "--adopt", "log_groups//ml/app", "--format", "json")
    assert plan.calls["logs.ListTagsForResource"] == 1
    # The real tags, not "none": adopting shows the group's own tag going away.
    adopted = change(json.loads(plan.stdout), "log_groups:/ml/app")
    assert adopted["action"] == "update"
    assert field_diffs(adopted) == {"retention_days": ("never", 14), "tags.team": ("data", None),
                                    "tags.obsctl:stack": (None, "test")}
