"""Stacks from documents: multi-file merging, defaults, model errors as located diagnostics,
kind checks. A fake kind registry keeps these tests independent of the real kinds."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Annotated, ClassVar, Literal

import pytest
from pydantic import StringConstraints

from reconciler.config import load_stacks, stack_model
from reconciler.config.fields import StrictModel
from reconciler.diagnostics import ConfigError, Diagnostic
from reconciler.kinds.base import Kind


class Part(StrictModel):
    name: str
    weight: int = 1


class Style(StrictModel):
    color: Literal["red", "green", "blue"] = "red"
    border: int = 0


class Widget(StrictModel):
    size: int
    style: Style = Style()
    labels: list[str] = []
    parts: list[Part] = []
    friend: str | None = None  # name of a gadget; checked by WidgetKind.check


class Gadget(StrictModel):
    power: int = 1


class FakeKind(Kind):
    def desired(self, stack, scope):
        return {}

    def read_live(self, aws, stack):
        return {}

    def create(self, aws, desired): ...

    def update(self, aws, desired, live): ...

    def delete(self, aws, live): ...


class WidgetKind(FakeKind):
    name = "widgets"
    section = "widgets"
    entry_model = Widget
    defaults_key = "widget"
    checked: ClassVar[list[str]] = []

    def check(self, stack):
        WidgetKind.checked.append(stack.name)
        gadgets = stack.section("gadgets")
        return [Diagnostic(f"widgets {name!r}: no gadget named {w.friend!r}",
                           stack.locate("widgets", name, "friend"))
                for name, w in stack.section("widgets").items() if w.friend and w.friend not in gadgets]


class GadgetKind(FakeKind):
    name = "gadgets"
    section = "gadgets"
    entry_model = Gadget
    name_type = Annotated[str, StringConstraints(pattern=r"^[a-z]+$")]


class BoardKind(FakeKind):  # untaggable, no section of its own: only a `prune` key
    name = "boards"
    taggable = False


REGISTRY = {k.name: k for k in (WidgetKind(), GadgetKind(), BoardKind())}


@pytest.fixture(autouse=True)
def fake_kinds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    WidgetKind.checked.clear()


def write(name: str, text: str) -> str:
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_text(textwrap.dedent(text))
    return name


def errors(*paths: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_stacks(list(paths), REGISTRY)
    return str(raised.value).splitlines()  # sorted by file, line, column


def error_of(text: str) -> list[str]:
    return errors(write("f.yaml", text))


# --- valid stacks -------------------------------------------------------------------------

def test_valid_stack():
    write("f.yaml", """\
        stack: ml-prod
        region: eu-west-1
        role_arn: arn:aws:iam::111111111111:role/path/obsctl
        profile: prod
        tags: {team: ml}
        prune: {boards: ["ml-*"]}
        widgets:
          w1: {size: 3, parts: [{name: a}]}
        gadgets:
          g: {}
        """)
    [stack] = load_stacks(["f.yaml"], REGISTRY)
    assert stack.name == "ml-prod"
    assert stack.files == ["f.yaml"]
    assert stack.region == "eu-west-1"
    assert stack.tags == {"team": "ml"}
    assert stack.config.role_arn == "arn:aws:iam::111111111111:role/path/obsctl"
    assert stack.prune_patterns("boards") == ["ml-*"]
    assert stack.section("widgets")["w1"].parts[0].weight == 1
    assert str(stack.locate("widgets", "w1", "parts", 0, "weight")) == "f.yaml:8:25"
    assert re.fullmatch(r"[0-9a-f]{64}", stack.digest)
    assert WidgetKind.checked == ["ml-prod"]


def test_files_of_one_stack_merge_and_other_stacks_stay_apart():
    write("a.yaml", "stack: s1\nregion: us-east-1\nwidgets: {a: {size: 1}}\n")
    write("b.yaml", "stack: s2\nwidgets: {a: {size: 2}}\n")
    write("c.yaml", "stack: s1\nregion: us-east-1\nwidgets: {c: {size: 3}}\ngadgets: {g: {}}\n")
    s1, s2 = load_stacks(["."], REGISTRY)
    assert (s1.name, s1.files, sorted(s1.section("widgets"))) == ("s1", ["a.yaml", "c.yaml"], ["a", "c"])
    assert sorted(s1.section("gadgets")) == ["g"]
    assert (s2.name, s2.files, s2.section("widgets")["a"].size) == ("s2", ["b.yaml"], 2)
    assert str(s1.locate("widgets", "c")) == "c.yaml:3:11"
    assert str(s1.locate("region")) == "a.yaml:2:1"


def test_digest_is_canonical():
    write("a.yaml", "stack: s\nwidgets: {a: {size: 1, labels: [x]}, b: {size: 2}}\n")
    write("other/a.yaml", "widgets:\n  b: {size: 2}\n  a: {labels: [x], size: 1}\nstack: s\n")
    write("changed/a.yaml", "stack: s\nwidgets: {a: {size: 1, labels: [y]}, b: {size: 2}}\n")
    [first], [same], [changed] = (load_stacks([p], REGISTRY)
                                  for p in ("a.yaml", "other", "changed"))
    assert first.digest == same.digest != changed.digest


def test_empty_section_is_allowed():
    write("f.yaml", "stack: s\nwidgets:\n  # w: {size: 1}\n")
    assert load_stacks(["f.yaml"], REGISTRY)[0].section("widgets") == {}


def test_stack_model_is_built_once():
    assert stack_model(REGISTRY) is stack_model(REGISTRY)
    assert set(stack_model(REGISTRY).model_fields) == {
        "stack", "region", "role_arn", "role_external_id", "role_duration_seconds", "profile",
        "prune", "tags", "defaults", "widgets", "gadgets"}


# --- merging files ------------------------------------------------------------------------

def test_entry_defined_in_two_files():
    write("a.yaml", "stack: s\nwidgets:\n  x: {size: 1}\n")
    write("b.yaml", "stack: s\ngadgets: {}\nwidgets:\n  y: {size: 1}\n  x: {size: 1}\n")
    assert errors(".") == [
        "b.yaml:5:3: error: widgets 'x' is defined twice: a.yaml:3:3 and b.yaml:5:3"]


def test_settings_must_be_equal_across_files():
    write("a.yaml", "stack: s\nregion: us-east-1\ntags: {team: ml}\n")
    write("b.yaml", "stack: s\ntags: {team: ml}\nregion: eu-west-1\n")
    assert errors(".") == [
        "b.yaml:3:1: error: 'region' differs between files of stack 's': a.yaml:2:1 and "
        "b.yaml:3:1; give it the same value everywhere or set it in one file only"]


def test_same_entry_name_in_stacks_of_different_regions_is_fine():
    write("a.yaml", "stack: s1\nregion: us-east-1\nwidgets: {x: {size: 1}}\n")
    write("b.yaml", "stack: s2\nregion: eu-west-1\nwidgets: {x: {size: 1}}\n")
    assert len(load_stacks(["."], REGISTRY)) == 2


def test_same_entry_name_in_stacks_of_the_same_place_names_both():
    write("a.yaml", "stack: s1\nwidgets: {x: {size: 1}}\n")
    write("b.yaml", "stack: s2\nwidgets: {x: {size: 1}}\n")
    with pytest.raises(ConfigError) as error:
        load_stacks(["."], REGISTRY)
    assert str(error.value).startswith(
        "b.yaml:2:11: error: widgets 'x' is declared by stack 's1' (a.yaml:2:11) and declared "
        "by stack 's2', in the same account and region")


# --- the stack key ------------------------------------------------------------------------

def test_missing_stack():
    assert error_of("\n# a comment\nregion: us-east-1\n") == [
        "f.yaml:3:1: error: required key 'stack' is missing: every file names the stack "
        "it belongs to"]


def test_stack_not_a_string():
    assert error_of("region: us-east-1\nstack: [a]\n") == [
        "f.yaml:2:1: error: stack: input should be a string, got a list"]


def test_bad_stack_name():
    assert error_of("stack: ml prod\n") == [
        "f.yaml:1:1: error: stack: string should match pattern '^[A-Za-z0-9_.-]{1,255}$', "
        "got 'ml prod'"]


# --- model errors -------------------------------------------------------------------------

def test_wrong_type_names_path_value_and_place():
    assert error_of("""\
        stack: s
        widgets:
          w:
            size: three
        """) == ["f.yaml:4:5: error: widgets.w.size: input should be a valid integer, got 'three'"]


def test_missing_required_key_points_at_the_mapping_lacking_it():
    assert error_of("stack: s\nwidgets:\n  w:\n    labels: []\n") == [
        "f.yaml:3:3: error: widgets.w: required key 'size' is missing"]


def test_unknown_keys_with_did_you_mean_at_every_level():
    assert error_of("""\
        stack: s
        regoin: us-east-1
        widgets:
          w:
            size: 1
            stlye: {}
            style: {colour: red}
            parts: [{name: a, wieght: 2}]
        """) == [
        "f.yaml:2:1: error: unknown key 'regoin' (did you mean 'region'?)",
        "f.yaml:6:5: error: widgets.w: unknown key 'stlye' (did you mean 'style'?)",
        "f.yaml:7:13: error: widgets.w.style: unknown key 'colour' (did you mean 'color'?)",
        "f.yaml:8:23: error: widgets.w.parts[0]: unknown key 'wieght' (did you mean 'weight'?)",
    ]


def test_unknown_key_without_a_close_match_has_no_hint():
    assert error_of("stack: s\nzzz: 1\n") == ["f.yaml:2:1: error: unknown key 'zzz'"]


def test_unknown_section_suggests_a_kind_section():
    assert error_of("stack: s\nwidget: {}\n") == [
        "f.yaml:2:1: error: unknown key 'widget' (did you mean 'widgets'?)"]


def test_literal_value_gets_a_hint():
    assert error_of("stack: s\nwidgets: {w: {size: 1, style: {color: gren}}}\n") == [
        "f.yaml:2:32: error: widgets.w.style.color: input should be 'red', 'green' or 'blue', "
        "got 'gren' (did you mean 'green'?)"]


def test_list_item_errors_are_located_at_the_item():
    assert error_of("stack: s\nwidgets:\n  w:\n    size: 1\n    labels:\n      - a\n      - 5\n") == [
        "f.yaml:7:9: error: widgets.w.labels[1]: input should be a valid string, got 5"]


def test_entry_name_type():
    assert error_of("stack: s\ngadgets:\n  Bad-Name: {}\n") == [
        "f.yaml:3:3: error: gadgets: invalid key 'Bad-Name': string should match pattern "
        "'^[a-z]+$'"]


def test_section_of_the_wrong_type():
    assert error_of("stack: s\nwidgets: [a]\n") == [
        "f.yaml:2:1: error: widgets: input should be a valid dictionary, got a list"]


def test_all_errors_of_all_files_and_stacks_at_once():
    write("a.yaml", "stack: s1\nwidgets: {w: {size: x}}\n")
    write("b.yaml", "stack: s1\nwidgets: {v: {}}\n")
    write("c.yaml", "stack: s2\nregion: mars\n")
    assert errors(".") == [
        "a.yaml:2:15: error: widgets.w.size: input should be a valid integer, got 'x'",
        "b.yaml:2:11: error: widgets.v: required key 'size' is missing",
        "c.yaml:2:1: error: region: string should match pattern '^[a-z]{2}(-[a-z]+)+-[0-9]$', "
        "got 'mars'",
    ]


def test_loader_errors_stop_before_validation():
    write("a.yaml", "stack: s\nwidgets: {w: {size: x}}\n")
    write("b.yaml", "stack: s\nstack: t\n")
    assert errors(".") == ["b.yaml:2:1: error: duplicate key 'stack' (first defined at b.yaml:1:1)"]


# --- stack settings -----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("region: us-east", "2:1: error: region: string should match pattern"),
    ("role_arn: arn:aws:iam::123:role/x", "2:1: error: role_arn: string should match pattern"),
    ("role_arn: arn:aws:iam::111111111111:user/x", "2:1: error: role_arn: string should match"),
    ("profile: ''", "2:1: error: profile: string should have at least 1 character"),
    ("tags: [a]", "2:1: error: tags: input should be a valid dictionary, got a list"),
    ("tags: {team: 5}", "2:8: error: tags.team: input should be a valid string, got 5"),
    ("tags: {'': x}", "2:8: error: tags: invalid key '': string should have at least 1 character"),
    ("prune: {boards: ml-*}", "2:9: error: prune.boards: input should be a valid list, got 'ml-*'"),
    ("defaults: {widget: 3}", "2:12: error: defaults.widget: input should be a valid dictionary, got 3"),
])
def test_bad_settings(text, expected):
    [message] = error_of(f"stack: s\n{text}\n")
    assert message.startswith(f"f.yaml:{expected}")


ROLE = "role_arn: arn:aws:iam::111111111111:role/obsctl\n"


@pytest.mark.parametrize("text, expected", [
    (ROLE + "role_duration_seconds: 899", "3:1: error: role_duration_seconds: input should be greater than or equal to 900"),
    (ROLE + "role_duration_seconds: 43201", "3:1: error: role_duration_seconds: input should be less than or equal to 43200"),
    (ROLE + "role_duration_seconds: '3600'", "3:1: error: role_duration_seconds: input should be a valid integer"),
    (ROLE + "role_external_id: x", "3:1: error: role_external_id: string should match pattern"),
    (ROLE + "role_external_id: has space", "3:1: error: role_external_id: string should match pattern"),
    (ROLE + f"role_external_id: {'x' * 1225}", "3:1: error: role_external_id: string should match pattern"),
    ("role_external_id: ci-7f3a", "2:1: error: role_external_id: role_external_id is a setting of the role to assume: set role_arn"),
    ("role_duration_seconds: 7200", "2:1: error: role_duration_seconds: role_duration_seconds is a setting of the role to assume: set role_arn"),
])
def test_bad_role_settings(text, expected):
    [message] = error_of(f"stack: s\n{text}\n")
    assert message.startswith(f"f.yaml:{expected}"), message


def test_role_settings():
    write("f.yaml", "stack: s\n" + ROLE + "role_external_id: 'ci=7f3a,x.y@z:/w-_+'\n"
                    "role_duration_seconds: 900\n")
    [stack] = load_stacks(["f.yaml"], REGISTRY)
    assert stack.config.role_external_id == "ci=7f3a,x.y@z:/w-_+"
    assert stack.config.role_duration_seconds == 900


def test_too_many_tags():
    # AWS allows 50; obsctl adds obsctl:stack and obsctl:applied to every resource.
    tags = ", ".join(f"k{i}: v" for i in range(49))
    assert error_of(f"stack: s\ntags: {{{tags}}}\n") == [
        "f.yaml:2:1: error: tags: 49 tags; at most 48 tags: AWS allows 50 per resource and "
        "obsctl adds 2 (obsctl:stack, obsctl:applied)"]
    tags = ", ".join(f"k{i}: v" for i in range(48))
    [stack] = load_stacks([write("f.yaml", f"stack: s\ntags: {{{tags}}}\n")], REGISTRY)
    assert stack.tags["k47"] == "v"


def test_prune_keys_are_kind_names():
    assert error_of("stack: s\nprune:\n  bords: [x]\n") == [
        "f.yaml:3:3: error: prune: invalid key 'bords': input should be 'widgets', 'gadgets' "
        "or 'boards' (did you mean 'boards'?)"]


def test_defaults_keys_are_the_kinds_defaults_keys():
    assert error_of("stack: s\ndefaults:\n  widgets: {size: 1}\n") == [
        "f.yaml:3:3: error: defaults: unknown key 'widgets' (did you mean 'widget'?)"]


# --- defaults -----------------------------------------------------------------------------

def test_defaults_deep_merge_entry_wins_lists_replace():
    write("f.yaml", """\
        stack: s
        defaults:
          widget:
            size: 1
            style: {color: blue, border: 2}
            labels: [from-defaults]
        widgets:
          plain: {}
          own:
            size: 5
            style: {border: 7}
            labels: [mine]
        """)
    [stack] = load_stacks(["f.yaml"], REGISTRY)
    plain, own = stack.section("widgets")["plain"], stack.section("widgets")["own"]
    assert (plain.size, plain.style.color, plain.style.border, plain.labels) == (
        1, "blue", 2, ["from-defaults"])
    assert (own.size, own.style.color, own.style.border, own.labels) == (5, "blue", 7, ["mine"])
    # Merged-in values are located where they were written: in `defaults`.
    assert str(stack.locate("widgets", "plain", "size")) == "f.yaml:4:5"
    assert str(stack.locate("widgets", "own", "style", "color")) == "f.yaml:5:13"
    assert str(stack.locate("widgets", "own", "style", "border")) == "f.yaml:11:13"
    assert str(stack.locate("widgets", "own", "labels", 0)) == "f.yaml:12:14"


def test_defaults_from_another_file_of_the_stack():
    write("a.yaml", "stack: s\ndefaults: {widget: {size: 4}}\n")
    write("b.yaml", "stack: s\nwidgets: {w: {}}\n")
    [stack] = load_stacks(["."], REGISTRY)
    assert stack.section("widgets")["w"].size == 4
    assert str(stack.locate("widgets", "w", "size")) == "a.yaml:2:21"


def test_bad_default_is_reported_once_where_it_was_written():
    assert error_of("""\
        stack: s
        defaults:
          widget: {size: 1, style: {color: pink}, colour: red}
        widgets: {a: {}, b: {}, c: {style: {color: red}}}
        """) == [
        "f.yaml:3:29: error: defaults.widget.style.color: input should be 'red', 'green' or "
        "'blue', got 'pink'",
        "f.yaml:3:43: error: defaults.widget: unknown key 'colour'",
    ]


def test_yaml_merge_key_errors_point_at_the_anchor():
    assert error_of("""\
        stack: s
        base: &base {size: big}
        widgets:
          w: {<<: *base}
        """) == [
        "f.yaml:2:1: error: unknown key 'base'",
        "f.yaml:2:14: error: widgets.w.size: input should be a valid integer, got 'big'",
    ]


# --- kind checks --------------------------------------------------------------------------

def test_kind_checks_run_after_validation_and_are_collected():
    assert error_of("""\
        stack: s
        gadgets: {g: {}}
        widgets:
          a: {size: 1, friend: g}
          b: {size: 1, friend: nobody}
        """) == ["f.yaml:5:16: error: widgets 'b': no gadget named 'nobody'"]


def test_kind_checks_run_on_the_entries_that_passed_validation():
    write("a.yaml", "stack: bad\nwidgets: {w: {size: x}, v: {size: 1, friend: nobody}}\n")
    write("b.yaml", "stack: good\nwidgets: {w: {size: 1, friend: nobody}}\n")
    assert errors(".") == [
        "a.yaml:2:15: error: widgets.w.size: input should be a valid integer, got 'x'",
        "a.yaml:2:38: error: widgets 'v': no gadget named 'nobody'",
        "b.yaml:2:24: error: widgets 'w': no gadget named 'nobody'",
    ]
    assert sorted(WidgetKind.checked) == ["bad", "good"]


def test_a_reference_to_an_entry_that_failed_is_not_reported_dangling():
    assert error_of("""\
        stack: s
        gadgets: {g: {power: max}, Bad: {}}
        widgets:
          a: {size: 1, friend: g}
          b: {size: 1, friend: Bad}
          c: {size: 1, friend: h}
        """) == [
        "f.yaml:2:15: error: gadgets.g.power: input should be a valid integer, got 'max'",
        "f.yaml:2:28: error: gadgets: invalid key 'Bad': string should match pattern '^[a-z]+$'",
        "f.yaml:6:16: error: widgets 'c': no gadget named 'h'",
    ]


def test_kind_checks_run_when_settings_or_whole_sections_failed():
    assert error_of("""\
        stack: bad name
        region: mars
        tags: {a: 1}
        gadgets: [g]
        widgets:
          a: {size: 1, friend: g}
        """) == [
        "f.yaml:1:1: error: stack: string should match pattern '^[A-Za-z0-9_.-]{1,255}$', "
        "got 'bad name'",
        "f.yaml:2:1: error: region: string should match pattern '^[a-z]{2}(-[a-z]+)+-[0-9]$', "
        "got 'mars'",
        "f.yaml:3:8: error: tags.a: input should be a valid string, got 1",
        "f.yaml:4:1: error: gadgets: input should be a valid dictionary, got a list",
        "f.yaml:6:16: error: widgets 'a': no gadget named 'g'",
    ]


def test_a_stack_whose_settings_failed_is_left_out_of_cross_stack_checks():
    # Without its region, s1 would seem to work where s2 does.
    write("a.yaml", "stack: s1\nregion: mars\nwidgets: {x: {size: 1}}\n")
    write("b.yaml", "stack: s2\nwidgets: {x: {size: 1}}\n")
    assert errors(".") == [
        "a.yaml:2:1: error: region: string should match pattern '^[a-z]{2}(-[a-z]+)+-[0-9]$', "
        "got 'mars'"]


def test_a_stack_with_failed_entries_still_takes_part_in_cross_stack_checks():
    write("a.yaml", "stack: s1\nwidgets: {x: {size: 1}, y: {size: x}}\n")
    write("b.yaml", "stack: s2\nwidgets: {x: {size: 1}}\n")
    found = errors(".")
    assert len(found) == 2
    assert found[0].startswith("a.yaml:2:11: error: widgets 'x' is declared by stack 's2' "
                               "(b.yaml:2:11) and declared by stack 's1'")
    assert found[1] == ("a.yaml:2:29: error: widgets.y.size: input should be a valid integer, "
                        "got 'x'")
