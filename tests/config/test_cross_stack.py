"""Checks across stacks from the config alone: where a stack works, and what it declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.aws import Scope
from reconciler.config import load_stacks
from reconciler.config.cross_stack import place
from reconciler.diagnostics import ConfigError
from reconciler.kinds import KINDS

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_declared_names_are_the_names_desired_computes():
    scope = Scope(region="us-east-1", account_id="123456789012")
    stacks = load_stacks([str(EXAMPLES)], KINDS)
    covered = set()
    for stack in stacks:
        for kind in KINDS.values():
            names = kind.declared_names(stack)
            assert set(names) == set(kind.desired(stack, scope)), (stack.name, kind.name)
            assert all(location is not None for location in names.values())
            covered |= {kind.name} if names else set()
    # The examples declare every kind that owns resources (the check above means something).
    assert covered == {k.name for k in KINDS.values() if k.name not in ("endpoint_monitors", "lambda_monitors")}


@pytest.mark.parametrize("first, second, same", [
    ("region: us-east-1", "region: us-east-1", True),
    ("region: us-east-1", "region: eu-west-1", False),
    ("profile: prod", "profile: prod", True),
    ("profile: prod", "profile: dev", False),
    ("profile: prod", "", False),
    ("role_arn: arn:aws:iam::111111111111:role/a", "role_arn: arn:aws:iam::111111111111:role/b",
     True),
    ("role_arn: arn:aws:iam::111111111111:role/a", "role_arn: arn:aws:iam::222222222222:role/a",
     False),
    ("role_arn: arn:aws:iam::111111111111:role/a", "", False),
])
def test_place(tmp_path, first, second, same):
    (tmp_path / "a.yaml").write_text(f"stack: a\n{first}\n")
    (tmp_path / "b.yaml").write_text(f"stack: b\n{second}\n")
    a, b = load_stacks([str(tmp_path)], KINDS)
    assert (place(a) == place(b)) is same


def test_dashboard_names_are_shared_by_the_regions_of_an_account(tmp_path):
    board = "dashboards:\n  d: {widgets: [{type: text, markdown: hi}]}\n"
    (tmp_path / "a.yaml").write_text("stack: a\nregion: us-east-1\n" + board)
    (tmp_path / "b.yaml").write_text("stack: b\nregion: eu-west-1\n" + board)
    with pytest.raises(ConfigError) as error:
        load_stacks([str(tmp_path)], KINDS)
    assert (f"{tmp_path}/b.yaml:4:3: error: dashboards 'd' is declared by stack 'a' "
            f"({tmp_path}/a.yaml:4:3) and declared by stack 'b', in the same account "
            "(dashboards names are per account, not per region)") in str(error.value)


def test_two_stacks_of_one_account_and_region_cannot_each_declare_a_sink(tmp_path):
    """AWS allows one OAM sink per account and region: two stacks of one place declaring one
    each would fail at apply (ServiceQuotaExceededException); validation says so first, naming
    both. Another region, or another account (role_arn), is fine."""
    sink = ("observability_sinks:\n  {name}:\n    source_accounts: ['222222222222']\n"
            "    resource_types: [AWS::CloudWatch::Metric]\n")
    (tmp_path / "a.yaml").write_text("stack: a\nregion: us-east-1\n" + sink.format(name="central"))
    (tmp_path / "b.yaml").write_text("stack: b\nregion: us-east-1\n" + sink.format(name="other"))
    (tmp_path / "c.yaml").write_text("stack: c\nregion: eu-west-1\n" + sink.format(name="other"))
    (tmp_path / "d.yaml").write_text("stack: d\nregion: us-east-1\n"
                                     "role_arn: arn:aws:iam::333333333333:role/obsctl\n"
                                     + sink.format(name="other"))
    with pytest.raises(ConfigError) as error:
        load_stacks([str(tmp_path)], KINDS)
    [diagnostic] = error.value.diagnostics
    assert str(diagnostic) == (
        f"{tmp_path}/b.yaml:4:3: error: observability_sinks.other: AWS allows one of "
        f"observability_sinks per account and region, and stack 'a' declares 'central' there "
        f"({tmp_path}/a.yaml:4:3)")
