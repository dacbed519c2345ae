"""Prune over randomized mixed ownership: only this stack's undeclared resources ever go."""

from __future__ import annotations

import json
import random

import pytest

OWNERS = (None, "test", "other")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_prune_never_touches_untagged_or_other_stacks(obsctl, write_config, boto, seed):
    rng = random.Random(seed)
    sns, logs = boto("sns"), boto("logs")
    owner_of = {}
    for i in range(24):
        owner = rng.choice(OWNERS)
        tags = {"obsctl:stack": owner} if owner else {}
        if i % 2:
            name = f"/mixed/group-{i}"
            logs.create_log_group(logGroupName=name, **({"tags": tags} if tags else {}))
            owner_of[("log_groups", name)] = owner
        else:
            name = f"topic-{i}"
            sns.create_topic(Name=name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
            owner_of[("topics", name)] = owner
    mine = [key for key, owner in owner_of.items() if owner == "test"]
    declared = set(rng.sample(mine, k=len(mine) // 2))
    lines = ["stack: test", "topics:"] + [f"  {n}: {{}}" for k, n in sorted(declared) if k == "topics"]
    lines += ["log_groups:"] + [f"  {n}: {{}}" for k, n in sorted(declared) if k == "log_groups"]
    path = write_config("\n".join(lines) + "\n")

    plan = obsctl("plan", path, "--prune", "--allow-mass-delete", "--format", "json")
    assert plan.exit_code == 0, plan.stderr

    deletes = {(c["kind"], c["name"]) for c in json.loads(plan.stdout)["changes"] if c["action"] == "delete"}
    assert deletes == set(mine) - declared

    assert obsctl("apply", path, "--prune", "--allow-mass-delete", "--allow-data-loss",
                  "--auto-approve").exit_code == 0
    left = {("topics", t["TopicArn"].rsplit(":", 1)[1]) for t in sns.list_topics()["Topics"]}
    left |= {("log_groups", g["logGroupName"]) for g in logs.describe_log_groups()["logGroups"]}
    assert left == {key for key, owner in owner_of.items() if owner != "test"} | declared
