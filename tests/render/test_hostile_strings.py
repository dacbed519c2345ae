"""Plan data is hostile when printed: names, values, reasons and user names come from config
files and AWS. Pure tests on hand-built plans; the markdown is judged by rendering it with a
CommonMark renderer that allows HTML, as GitHub does."""

from __future__ import annotations

import io
import re

from reconciler.plan import Action, Change, FieldChange, Kept, Note, Plan, StackPlan
from reconciler.plan_document import plan_document
from reconciler.render import RENDERERS, markdown, text
from reconciler.render.values import show_pair
from tests.render.commonmark import OWN_ELEMENTS, rendered

COMMENT_OPENER = "x</code></summary></details><!--"
FAKE_EMPTY_PLAN = "q\n\n**No changes.** AWS matches the configuration.\n\n| a | b |"
FENCE_BREAKER = "team\n```\n</details>\n<img src=x onerror=alert(1)>"
MARKUP = "<script>alert(1)</script> [click](https://evil.example) ![i](https://x/i.png) *b* ~~s~~ `c` | d"
ESCAPE = "\x1b[2J\x1b[1;1H"  # clear the screen, cursor home


def hostile_plan() -> Plan:
    changes = [
        Change("ml|prod`", "alarms", COMMENT_OPENER, Action.UPDATE,
               {"description": "ok", "tags": {"team": "a"}},
               {"description": "</details>``` <!--", "tags": {FENCE_BREAKER: "b"}},
               fields=[FieldChange("description", "ok", "</details>``` <!--"),
                       FieldChange(f"tags.{FENCE_BREAKER}", None, "b")],
               cause="drift",
               attribution={"status": "found", "username": "<img src=x>`|\n<!--",
                            "event_time": "2026-01-01T00:00:00Z", "event_name": MARKUP}),
        Change("ml|prod`", "saved_queries", FAKE_EMPTY_PLAN, Action.CREATE, None,
               {"query": "fields @message\n```\n| limit 5", FENCE_BREAKER: MARKUP},
               origin=MARKUP),
        Change("ml|prod`", "alarms", MARKUP, Action.CONFLICT, None, {"threshold": 1},
               reason=f"owned by {COMMENT_OPENER}"),
        Change("ml|prod`", "log_groups", "a`b``c```d", Action.DELETE, {"retention": 1}, None,
               reason=FENCE_BREAKER, data_loss=True),
    ]
    kept = [Kept("ml|prod`", "topics", "t<!--", f"declared by {FAKE_EMPTY_PLAN}")]
    notes = [Note("ml|prod`", COMMENT_OPENER, f"functions {MARKUP}: {FENCE_BREAKER}", (MARKUP,))]
    return Plan([StackPlan("ml|prod`", "us-east-1", changes, kept=kept, notes=notes),
                 StackPlan(COMMENT_OPENER, "eu-west-1", [])])


def test_markdown_keeps_hostile_strings_as_text():
    plan = hostile_plan()
    html, parsed = rendered(RENDERERS["markdown"](plan))
    assert "<!--" not in html and not parsed.comments
    assert set(parsed.tags) <= OWN_ELEMENTS, html
    assert parsed.tags.count("tr") == 1 + len(plan.changes)  # the header row and one a change
    assert parsed.tags.count("details") == len(plan.changes)
    assert parsed.tags.count("pre") == len(plan.changes)  # no fence closed early, none opened
    assert "<strong>No changes.</strong>" not in html  # the name's text stays in its code
    one_line = {c.address: c.address.replace("\n", "\\n") for c in plan.changes}
    for address in one_line.values():
        assert parsed.text.count(address) >= 2, address  # in its row and its details block
    assert "declared by q\\n\\n**No changes.**" in parsed.text  # the kept reason, as written
    assert "owned by " + COMMENT_OPENER in parsed.text
    assert f"functions {MARKUP}: " in parsed.text  # the note's prose, as written


def test_markdown_rows_are_one_line_each_and_cells_stay_in_their_column():
    html, _ = rendered(RENDERERS["markdown"](hostile_plan()))
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)[1:]
    assert [row.count("<td>") for row in rows] == [3] * 4


def test_markdown_diff_fence_is_longer_than_any_backtick_run():
    document = plan_document(hostile_plan())
    comment = markdown.render(document)
    assert "\n````diff\n" in comment  # the update's after value holds ``` itself
    _, parsed = rendered(comment)
    assert '+ description: "</details>``` <!--"' in parsed.text


def test_markdown_failure_never_shows_an_empty_plan_for_a_name_with_line_breaks():
    lonely = Plan([StackPlan("s", "us-east-1", [
        Change("s", "saved_queries", FAKE_EMPTY_PLAN, Action.CREATE, None, {"query": "x"})])])
    html, parsed = rendered(RENDERERS["markdown"](lonely))
    assert "<strong>No changes.</strong>" not in html and "<strong>Plan: 1 to create" in html
    assert parsed.tags.count("tr") == 2


def test_text_writes_control_characters_out():
    plan = Plan([StackPlan("s" + ESCAPE, "us-east-1", [
        Change("s" + ESCAPE, "saved_queries", "q" + ESCAPE, Action.UPDATE, {"q": 1}, {"q": 2},
               fields=[FieldChange("tags.k\x1b]8;;x\x07", "a\x1b", "b")], reason="r\x9b1m",
               origin="o\r", attribution={"status": "found", "username": "u\x1b[A",
                                          "event_time": "t", "event_name": "e\u202e"}),
        Change("s" + ESCAPE, "alarms", "new\nline", Action.CREATE, None, {"tag\x1b": "v\x1b"}),
    ], kept=[Kept("s" + ESCAPE, "topics", "t", "declared by \x1b[31m")],
       notes=[Note("s" + ESCAPE, "lambda_monitors.m\x1b", "f\x1b[2J", ("f\x1b",))])])
    out = RENDERERS["text"](plan)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", out), repr(out)
    assert "Stack s\\x1b[2J\\x1b[1;1H (us-east-1):" in out
    assert "  ~ saved_queries/q\\x1b[2J\\x1b[1;1H" in out
    assert "      ~ tags.k\\x1b]8;;x\\x07: " in out
    assert "  + alarms/new\\nline" in out
    assert "declared by \\x1b[31m" in out
    assert "(from o\\r): r\\x9b1m" in out
    assert "changed by u\\x1b[A at t (e\\u202e)" in out
    assert "Note: lambda_monitors.m\\x1b: f\\x1b[2J" in out


def test_text_colours_like_terraform_only_when_asked():
    document = plan_document(hostile_plan())
    plain = text.render(document)
    assert "\x1b" not in plain
    coloured = text.render(document, color=True)
    assert "\x1b[32m      + query" in coloured  # green create
    assert "\x1b[33m  ~ alarms/" in coloured  # yellow update
    assert "\x1b[31m  - log_groups/" in coloured  # red delete
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain  # colour adds nothing else
    context = text.render(plan_document(Plan([StackPlan("s", "us-east-1", [Change(
        "s", "saved_queries", "q", Action.UPDATE, {"query": "a\n- b\nc"}, {"query": "a\n- b\nd"},
        fields=[FieldChange("query", "a\n- b\nc", "a\n- b\nd")])])])), color=True)
    assert "\n            - b\n" in context  # a context line is plain, whatever it holds


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert text.color_wanted(_Terminal())
    assert not text.color_wanted(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not text.color_wanted(_Terminal())


def test_long_values_that_differ_late_never_look_the_same():
    before, after = "x" * 250 + "a" + "y" * 49, "x" * 250 + "b" + "y" * 49
    shown_before, shown_after = show_pair(before, after)
    assert shown_before != shown_after
    assert "xa" in shown_before and "xb" in shown_after
    plan = Plan([StackPlan("s", "us-east-1", [Change(
        "s", "alarms", "a", Action.UPDATE, {"d": before}, {"d": after},
        fields=[FieldChange("d", before, after)])])])
    for line in RENDERERS["text"](plan).splitlines():
        if " -> " in line:
            left, right = line.split(": ", 1)[1].split(" -> ")
            assert left != right
