"""The rules plan_all applies across the stacks of a run, as pure logic."""

from __future__ import annotations

import pytest

from reconciler.diagnostics import Location, ObsctlError
from reconciler.engine import Claims, keep_declared, refuse_shared_names
from reconciler.kinds.base import Desired
from reconciler.plan import Action, Change, Kept, StackPlan

ACCOUNT = ("http://emulator", "aws", "123456789012")
OTHER_ACCOUNT = ("http://emulator", "aws", "111111111111")
HERE = (ACCOUNT, "us-east-1")
ELSEWHERE = (ACCOUNT, "eu-west-1")


def declared(kind: str, name: str, file: str, origin: str | None = None) -> dict:
    return {kind: {name: Desired(name, {}, location=Location(file, 4, 3), origin=origin)}}


def delete(stack: str, kind: str, name: str) -> Change:
    return Change(stack=stack, kind=kind, name=name, action=Action.DELETE, before={}, after=None)


def test_a_delete_of_what_another_stack_declares_is_kept_with_the_reason():
    old = StackPlan("old", "us-east-1", [delete("old", "alarms", "x"), delete("old", "alarms", "y")])
    new = StackPlan("new", "us-east-1")
    keep_declared([old, new], [Claims("old", *HERE, {}),
                               Claims("new", *HERE, declared("alarms", "x", "new.yaml"))])
    assert [c.name for c in old.changes] == ["y"]
    assert old.kept == [Kept("old", "alarms", "x", "declared by stack 'new' (new.yaml:4:3)")]
    assert new.kept == []


def test_only_deletes_and_only_the_same_kind_and_place_are_kept():
    update = Change(stack="old", kind="alarms", name="x", action=Action.UPDATE, before={}, after={})
    old = StackPlan("old", "us-east-1", [update, delete("old", "dashboards", "x"),
                                         delete("old", "alarms", "z")])
    keep_declared([old, StackPlan("new", "x"), StackPlan("far", "y")], [
        Claims("old", *HERE, {}),
        Claims("new", *HERE, declared("alarms", "x", "new.yaml")),
        Claims("far", *ELSEWHERE, declared("alarms", "z", "far.yaml"))])
    assert [(c.kind, c.name) for c in old.changes] == [("alarms", "x"), ("dashboards", "x"),
                                                       ("alarms", "z")]
    assert old.kept == []


def test_generated_resources_are_kept_naming_their_origin_and_hostile_file_names_are_quoted():
    old = StackPlan("old", "us-east-1", [delete("old", "dashboards", "ml-endpoint-prod")])
    keep_declared([old], [Claims("old", *HERE, {}), Claims(
        "new", *HERE, declared("dashboards", "ml-endpoint-prod", "evil\x1b[31m.yaml",
                              origin="endpoint_monitors.all[prod]"))])
    assert old.kept[0].reason == ("declared by stack 'new' ('endpoint_monitors.all[prod], "
                                  "evil\\x1b[31m.yaml:4:3')")


def test_one_name_declared_by_two_stacks_in_one_place_is_refused_naming_both():
    with pytest.raises(ObsctlError) as error:
        refuse_shared_names([Claims("a", *HERE, declared("topics", "t", "a.yaml")),
                             Claims("b", *HERE, declared("topics", "t", "b.yaml"))])
    assert "topics/t: stack 'a' (a.yaml:4:3) and stack 'b' (b.yaml:4:3)" in str(error.value)


def test_one_name_in_two_places_or_two_kinds_is_fine():
    refuse_shared_names([Claims("a", *HERE, declared("topics", "t", "a.yaml")),
                         Claims("b", *ELSEWHERE, declared("topics", "t", "b.yaml")),
                         Claims("c", *HERE, declared("alarms", "t", "c.yaml"))])


def test_dashboard_names_are_per_account_in_every_region():
    old = StackPlan("old", "us-east-1", [delete("old", "dashboards", "d"),
                                         delete("old", "alarms", "d")])
    keep_declared([old], [Claims("old", *HERE, {}),
                          Claims("west", *ELSEWHERE, {**declared("dashboards", "d", "w.yaml"),
                                                      **declared("alarms", "d", "w.yaml")}),
                          Claims("other", OTHER_ACCOUNT, "us-east-1",
                                 declared("alarms", "d", "o.yaml"))])
    assert [k.address for k in old.kept] == ["dashboards/d"]
    assert [c.address for c in old.changes] == ["alarms/d"]
    with pytest.raises(ObsctlError, match="dashboards/d: stack 'a'"):
        refuse_shared_names([Claims("a", *HERE, declared("dashboards", "d", "a.yaml")),
                             Claims("b", *ELSEWHERE, declared("dashboards", "d", "b.yaml"))])
