"""Ownership, prune, the mass-delete guard and --target, through the CLI (topics as the
example kind: every rule here lives in the engine, not in a kind)."""

from __future__ import annotations

from tests.helpers import addresses, change, field_diffs, plan_json, summary


def stack(name: str, *topics: str) -> str:
    body = "\n".join(f"  {t}: {{}}" for t in topics) or "  {}"
    return f"stack: {name}\ntopics:\n{body}\n" if topics else f"stack: {name}\n"


def topic_names(boto) -> set[str]:
    return {t["TopicArn"].rsplit(":", 1)[1] for t in boto("sns").list_topics()["Topics"]}


def test_unowned_resource_with_the_same_name_is_a_conflict_and_untouched(obsctl, write_config, boto):
    arn = boto("sns").create_topic(Name="shared", Tags=[{"Key": "team", "Value": "other"}])["TopicArn"]
    path = write_config(stack("test", "shared", "mine"))
    doc = plan_json(obsctl, path, exit_codes=(1,))
    assert addresses(doc, "conflict") == ["topics/shared"]
    assert change(doc, "topics/shared")["reason"] == (
        "exists without an owner tag; adopt it with --adopt topics/shared")
    assert addresses(doc, "create") == ["topics/mine"]

    apply = obsctl("apply", path, "--auto-approve")
    assert apply.exit_code == 1
    assert "+ topics/mine: created" in apply.stdout
    tags = boto("sns").list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert tags == [{"Key": "team", "Value": "other"}]


def test_prune_deletes_only_what_this_stack_owns(obsctl, write_config, boto):
    sns = boto("sns")
    sns.create_topic(Name="untagged")
    sns.create_topic(Name="other-stack", Tags=[{"Key": "obsctl:stack", "Value": "other"}])
    path = write_config(stack("test", "keep", "a", "b", "c"))
    assert obsctl("apply", path, "--auto-approve").exit_code == 0

    smaller = write_config(stack("test", "keep", "a", "b"), name="smaller.yaml")
    without_prune = obsctl("plan", smaller, "--detailed-exitcode")
    assert without_prune.exit_code == 0, "without --prune nothing is deleted"

    doc = plan_json(obsctl, smaller, "--prune")
    assert addresses(doc) == ["topics/c"]  # neither untagged nor other-stack
    assert doc["summary"] == summary(delete=1)
    assert obsctl("apply", smaller, "--prune", "--auto-approve").exit_code == 0
    assert topic_names(boto) == {"untagged", "other-stack", "keep", "a", "b"}


def test_mass_delete_is_refused_without_the_flag(obsctl, write_config, boto):
    path = write_config(stack("test", "a", "b", "c"))
    assert obsctl("apply", path, "--auto-approve").exit_code == 0
    empty = write_config(stack("test", "a"), name="empty.yaml")

    refused = obsctl("apply", empty, "--prune", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr.partition("api calls:")[0] == (  # --stats follows
        "error: stack 'test': refusing to delete 2 of 3 owned resources (67%; limits: 20 "
        "resources or 50%). Check the config, or pass --allow-mass-delete. It would delete:\n"
        "  - topics/b\n"
        "  - topics/c\n")
    assert refused.writes == 0
    assert topic_names(boto) == {"a", "b", "c"}

    allowed = obsctl("apply", empty, "--prune", "--allow-mass-delete", "--auto-approve")
    assert allowed.exit_code == 0
    assert topic_names(boto) == {"a"}


def test_target_limits_plan_and_apply(obsctl, write_config, boto):
    path = write_config(stack("test", "alpha", "beta", "gamma"))
    doc = plan_json(obsctl, path, "--target", "topics/b*")
    assert addresses(doc, "create") == ["topics/beta"]
    assert doc["summary"] == summary(create=1)
    assert obsctl("apply", path, "--target", "topics/beta", "--auto-approve").exit_code == 0
    assert topic_names(boto) == {"beta"}


def test_unknown_target_kind_is_an_error(obsctl, write_config):
    result = obsctl("plan", write_config(stack("test", "a")), "--target", "widgets/x")
    assert result.exit_code == 1
    assert "expected KIND/NAME" in result.stderr


def test_apply_without_a_terminal_and_without_auto_approve_refuses(obsctl, write_config, boto):
    result = obsctl("apply", write_config(stack("test", "a")))
    assert result.exit_code == 1
    assert "--auto-approve" in result.stderr
    assert topic_names(boto) == set()


def test_adopt_takes_over_an_untagged_resource_but_never_another_stacks(obsctl, write_config, boto):
    sns = boto("sns")
    untagged = sns.create_topic(Name="legacy")["TopicArn"]
    sns.create_topic(Name="theirs", Tags=[{"Key": "obsctl:stack", "Value": "other"}])
    path = write_config(stack("test", "legacy", "theirs"))

    doc = plan_json(obsctl, path, "--adopt", "topics/*", exit_codes=(1,))
    legacy = change(doc, "topics/legacy")
    assert (legacy["action"], legacy["reason"]) == ("update", "adopting: it has no owner tag yet")
    assert field_diffs(legacy) == {"tags.obsctl:stack": (None, "test")}
    # Another stack's resource stays a conflict.
    assert addresses(doc, "conflict") == ["topics/theirs"]
    assert change(doc, "topics/theirs")["reason"] == (
        "owned by stack 'other'; only that stack changes it")

    assert obsctl("apply", path, "--adopt", "topics/legacy", "--auto-approve").exit_code == 1
    tags = sns.list_tags_for_resource(ResourceArn=untagged)["Tags"]
    assert {"Key": "obsctl:stack", "Value": "test"} in tags
    assert addresses(plan_json(obsctl, path, exit_codes=(1,)), "conflict") == ["topics/theirs"]
