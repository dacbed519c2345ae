"""`obsctl iam-policy --for plan|apply`, proven on an emulator of this module's own with IAM
enforcement on: a user holding only the printed policy can plan (plan policy) and apply
(apply policy), and an apply with the plan policy fails with one AccessDenied line per
resource."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from reconciler.plan import split_address
from click.testing import CliRunner

from reconciler.cli import main as obsctl_main
from reconciler.emulator import Emulator
from tests.conftest import Result, _parse_stats
from tests.enforced_iam import REGION, set_enforcement, user_with_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sagemaker-endpoint"
# botocore service name -> IAM service prefix, where they differ.
IAM_PREFIX = {"resourcegroupstaggingapi": "tag"}


@pytest.fixture(scope="module")
def enforced():
    """Enforcement is global to a server: never switch it on in the shared emulator."""
    with Emulator() as running:
        yield running


@pytest.fixture
def stack(tmp_path) -> str:
    """A stack of topics, a log group with a metric filter, alarms and a dashboard."""
    shutil.copytree(EXAMPLE, tmp_path / "stack")
    return str(tmp_path / "stack")


def obsctl(*args: str, endpoint_url: str = "", credentials: dict | None = None) -> Result:
    env = {"AWS_ENDPOINT_URL": endpoint_url, "AWS_DEFAULT_REGION": REGION, "AWS_PROFILE": None,
           "AWS_MAX_ATTEMPTS": "2"}
    if credentials:
        env |= {"AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
                "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"]}
    result = CliRunner().invoke(obsctl_main, ["--stats", *args], env=env, catch_exceptions=True)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr, _parse_stats(result.stderr))


def policy_for(path: str, purpose: str) -> dict:
    printed = obsctl("iam-policy", path, "--for", purpose)
    assert printed.exit_code == 0, printed.stderr
    return json.loads(printed.stdout)


def allowed_actions(document: dict) -> set[str]:
    return {action for statement in document["Statement"] for action in statement["Action"]}


def iam_actions(calls) -> set[str]:
    """The IAM actions of the API calls `--stats` counted (`service.Operation`)."""
    return {f"{IAM_PREFIX.get(service, service)}:{operation}"
            for service, operation in (call.split(".", 1) for call in calls)}


def test_plan_and_apply_with_exactly_the_printed_policies(enforced, stack):
    enforced.reset()
    plan_policy, apply_policy = policy_for(stack, "plan"), policy_for(stack, "apply")
    set_enforcement(enforced.endpoint_url, False)
    try:
        reader = user_with_policy(enforced.endpoint_url, "obsctl-plan", plan_policy)
        writer = user_with_policy(enforced.endpoint_url, "obsctl-apply", apply_policy)
    finally:
        set_enforcement(enforced.endpoint_url, True)
    run = {"endpoint_url": enforced.endpoint_url}

    planned = obsctl("plan", stack, "--detailed-exitcode", credentials=reader, **run)
    assert planned.exit_code == 2, planned.stderr
    assert iam_actions(planned.calls) <= allowed_actions(plan_policy)

    refused = obsctl("apply", stack, "--auto-approve", "-q", credentials=reader, **run)
    assert refused.exit_code == 1
    assert "Traceback" not in refused.stdout + refused.stderr
    failures = [line for line in refused.stderr.splitlines() if line.startswith("! ")]
    assert len(failures) == refused.stdout.count("will be created") > 0
    # AWS's codes: CloudWatch AccessDenied, Logs AccessDeniedException, SNS AuthorizationError
    assert all(re.search(r"create failed: (AccessDenied|AuthorizationError)", line) and
               "is not authorized to perform" in line for line in failures), failures
    assert len({line.split(":", 1)[0] for line in failures}) == len(failures)  # one per resource

    applied = obsctl("apply", stack, "--auto-approve", "-q", credentials=writer, **run)
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "0 failed" in applied.stdout
    assert iam_actions(applied.calls) <= allowed_actions(apply_policy)

    again = obsctl("plan", stack, "--detailed-exitcode", credentials=reader, **run)
    assert again.exit_code == 0, again.stdout + again.stderr


@pytest.fixture(scope="module")
def seeded():
    """With the seed's SageMaker endpoints, which examples/ml-platform monitors and scales."""
    with Emulator(seed=True) as running:
        yield running


def test_every_kind_applies_with_the_apply_policy(seeded, tmp_path):
    """examples/ml-platform has every kind, generated ones too (endpoint monitors' alarms, log
    groups and dashboards, drift alarms): each call of plan and apply is in the policies."""
    stack = str(tmp_path / "ml-platform")
    shutil.copytree(EXAMPLE.parent / "ml-platform", stack)
    plan_policy, apply_policy = policy_for(stack, "plan"), policy_for(stack, "apply")
    set_enforcement(seeded.endpoint_url, False)
    try:
        reader = user_with_policy(seeded.endpoint_url, "obsctl-plan", plan_policy)
        writer = user_with_policy(seeded.endpoint_url, "obsctl-apply", apply_policy)
    finally:
        set_enforcement(seeded.endpoint_url, True)
    run = {"endpoint_url": seeded.endpoint_url}

    planned = obsctl("plan", stack, "--detailed-exitcode", credentials=reader, **run)
    assert planned.exit_code == 2, planned.stderr
    applied = obsctl("apply", stack, "--auto-approve", "-q", credentials=writer, **run)
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    kinds = {split_address(line[2:].rsplit(": ", 1)[0])[0]
             for line in applied.stdout.splitlines() if line.startswith("+ ")}
    assert kinds == {"topics", "log_groups", "subscription_filters", "scaling_policies",
                     "event_rules", "alarms", "composite_alarms", "dashboards", "queries",
                     "model_monitors"}
    assert iam_actions(planned.calls) <= allowed_actions(plan_policy)
    assert iam_actions(applied.calls) <= allowed_actions(apply_policy)
    again = obsctl("plan", stack, "--detailed-exitcode", credentials=reader, **run)
    assert again.exit_code == 0, again.stdout + again.stderr


def test_usage_errors_and_bad_config_exit_1(tmp_path):
    missing = obsctl("iam-policy", str(EXAMPLE))
    assert missing.exit_code == 1 and "--for" in missing.stderr
    (tmp_path / "bad.yaml").write_text("stack: s\nalarms:\n  a: {when: nonsense}\n")
    bad = obsctl("iam-policy", str(tmp_path), "--for", "plan")
    assert bad.exit_code == 1 and "bad.yaml:3:" in bad.stderr
    assert bad.stdout == "" and not bad.calls


def test_a_stack_that_assumes_a_role_gets_a_note_on_stderr(tmp_path):
    (tmp_path / "stack.yaml").write_text(
        "stack: s\nregion: eu-west-1\nrole_arn: arn:aws:iam::111122223333:role/obsctl\n"
        "topics:\n  pager: {}\n")
    printed = obsctl("iam-policy", str(tmp_path), "--for", "apply")
    assert printed.exit_code == 0, printed.stderr
    statements = {s["Sid"]: s for s in json.loads(printed.stdout)["Statement"]}
    assert statements["ObsctlWriteTopics"]["Resource"] == ["arn:aws:sns:eu-west-1:111122223333:pager"]
    assert printed.stderr.startswith("note: obsctl assumes arn:aws:iam::111122223333:role/obsctl: "
                                     "attach this policy to that role")


def test_plan_prune_needs_and_gets_the_reads_of_every_kind(enforced, stack):
    """`plan --prune` reads every kind (the stack may own resources of kinds its config no
    longer uses): the plain plan policy lacks those reads; `--prune` adds them."""
    enforced.reset()
    plain = policy_for(stack, "plan")
    printed = obsctl("iam-policy", stack, "--for", "plan", "--prune")
    assert printed.exit_code == 0, printed.stderr
    with_prune = json.loads(printed.stdout)
    assert allowed_actions(plain) < allowed_actions(with_prune)
    set_enforcement(enforced.endpoint_url, False)
    try:
        narrow = user_with_policy(enforced.endpoint_url, "obsctl-plan-narrow", plain)
        wide = user_with_policy(enforced.endpoint_url, "obsctl-plan-prune", with_prune)
    finally:
        set_enforcement(enforced.endpoint_url, True)
    run = {"endpoint_url": enforced.endpoint_url}

    refused = obsctl("plan", stack, "--prune", credentials=narrow, **run)
    assert refused.exit_code == 1 and "is not authorized to perform" in refused.stderr
    planned = obsctl("plan", stack, "--prune", "--detailed-exitcode", credentials=wide, **run)
    assert planned.exit_code == 2, planned.stderr
    assert iam_actions(planned.calls) <= allowed_actions(with_prune)
