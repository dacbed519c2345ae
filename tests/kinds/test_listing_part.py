"""A shared listing (alarms, log groups of an account-region) is indexed once per run; each
stack takes its part from the index: what it declares or owns, in listing order, or all of it
when a section of the stack generates the kind (kinds/common.py listing_part)."""

from __future__ import annotations

from reconciler.aws import AwsContext, SharedReads
from reconciler.config import load_stacks
from reconciler.kinds import KINDS
from reconciler.kinds.common import listing_part, stack_part


def stacks(tmp_path, count: int):
    for i in range(count):
        (tmp_path / f"s{i}.yaml").write_text(
            f"stack: s{i}\nregion: us-east-1\nalarms:\n"
            f"  declared-{i}:\n    metric: {{namespace: App, name: Errors, stat: Sum, period: 60}}\n"
            f"    when: '> 1'\n")
    return load_stacks([str(tmp_path)], KINDS)


def listing(count: int):
    """Alarms as DescribeAlarms lists them, with their tags by ARN: for each stack one it
    declares, one it owns (tagged, not declared), and one nobody owns."""
    alarms, tags = [], {}
    for i in range(count):
        for name, owner in ((f"declared-{i}", f"s{i}"), (f"owned-{i}", f"s{i}"),
                            (f"nobodys-{i}", None)):
            arn = f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"
            alarms.append({"AlarmName": name, "AlarmArn": arn})
            if owner:
                tags[arn] = {"obsctl:stack": owner}
    return alarms, tags


def test_each_stack_takes_what_it_declares_or_owns_from_one_index(aws, tmp_path):
    loaded = stacks(tmp_path, 3)
    alarms, tags = listing(3)
    shared = SharedReads()
    contexts = [AwsContext.for_stack(stack, shared=shared) for stack in loaded]
    names_read = []

    def name_of(alarm):
        names_read.append(alarm["AlarmName"])
        return alarm["AlarmName"]

    for stack, context in zip(loaded, contexts):
        part = listing_part(context, stack, "alarms", alarms, tags, name_of,
                            lambda alarm: alarm["AlarmArn"])
        wanted = stack_part(stack, "alarms")  # the rule, one alarm at a time
        assert part == [a for a in alarms if wanted(a["AlarmName"], tags.get(a["AlarmArn"]))]
        assert [a["AlarmName"] for a in part] == [f"declared-{stack.name[1:]}",
                                                  f"owned-{stack.name[1:]}"]
    # One pass over the listing for the three stacks, not one per stack.
    assert len(names_read) == len(alarms)


def test_a_listing_that_is_not_shared_is_indexed_afresh(aws, tmp_path):
    [stack] = stacks(tmp_path, 1)
    context = AwsContext.for_stack(stack)
    alarms, tags = listing(2)
    first = listing_part(context, stack, "alarms", alarms, tags, lambda a: a["AlarmName"],
                         lambda a: a["AlarmArn"])
    other = [dict(alarm) for alarm in alarms[3:]] + [dict(alarms[0])]  # another list
    second = listing_part(context, stack, "alarms", other, tags, lambda a: a["AlarmName"],
                          lambda a: a["AlarmArn"])
    assert [a["AlarmName"] for a in first] == ["declared-0", "owned-0"]
    assert [a["AlarmName"] for a in second] == ["declared-0"]
