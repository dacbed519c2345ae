"""Nested values of an update diff field by field: items matched by their names, lines of long
strings and JSON bodies as a unified diff, and never a line whose two sides look the same."""

from __future__ import annotations

from reconciler.plan import Action, Change, Plan, StackPlan, diff_fields
from reconciler.plan_document import plan_document
from reconciler.render import markdown, text


def widget(title: str, y: int, stat: str = "Average") -> dict:
    return {"type": "metric", "x": 0, "y": y, "width": 12, "height": 6,
            "properties": {"title": title, "stat": stat}}


def update(before: dict, after: dict) -> dict:
    change = Change("s", "dashboards", "d", Action.UPDATE, before, after,
                    fields=diff_fields(before, after))
    return plan_document(Plan([StackPlan("s", "us-east-1", [change])]))


def update_lines(document: dict) -> list[str]:
    lines = text.render(document).splitlines()
    start = lines.index("  ~ dashboards/d") + 1
    return lines[start:lines.index("", start)]


def test_an_added_widget_is_its_own_line_and_a_kept_one_shows_what_changed():
    before = {"body": {"widgets": [widget("Latency", 0), widget("Errors", 6)]}}
    after = {"body": {"widgets": [widget("Latency", 0, "p90"), widget("Invocations", 6),
                                  widget("Errors", 12)]}}
    assert update_lines(update(before, after)) == [
        "      ~ body.widgets: 2 items -> 3 items",
        '      ~ body.widgets[title=Latency].properties.stat: "Average" -> "p90"',
        '      + body.widgets[title=Invocations]: {"height": 6, "properties": {"stat": "Average", '
        '"title": "Invocations"}, "type": "metric", "width": 12, "x": 0, "y": 6}',
        "      ~ body.widgets[title=Errors].y: 6 -> 12",
    ]


def test_a_removed_policy_statement_is_a_minus_line_named_by_sid():
    statements = [{"Sid": "Default", "Effect": "Allow", "Action": "SNS:Publish"},
                  {"Sid": "Events", "Effect": "Allow", "Action": "SNS:Publish"}]
    document = update({"policy": {"Statement": statements}},
                      {"policy": {"Statement": statements[:1]}})
    assert update_lines(document) == [
        "      ~ policy.Statement: 2 items -> 1 item",
        '      - policy.Statement[Sid=Events]: {"Action": "SNS:Publish", "Effect": "Allow", '
        '"Sid": "Events"}']
    assert '- policy.Statement[Sid=Events]: {"Action"' in markdown.render(document)


def test_items_without_a_unique_name_are_compared_whole():
    before = {"metrics": [{"stat": "Sum"}, {"stat": "Sum"}]}
    after = {"metrics": [{"stat": "Sum"}]}
    assert update_lines(update(before, after)) == [
        '      ~ metrics: [{"stat": "Sum"}, {"stat": "Sum"}] -> [{"stat": "Sum"}]']


def test_a_query_of_several_lines_shows_a_diff_of_its_lines():
    before = {"query": "fields @timestamp\n| filter level = 'ERROR'\n| stats count() by bin(5m)\n| sort @timestamp"}
    after = {"query": "fields @timestamp\n| filter level = 'WARN'\n| stats count() by bin(5m)\n| sort @timestamp"}
    assert update_lines(update(before, after)) == [
        "        query:",
        "            fields @timestamp",
        "      -     | filter level = 'ERROR'",
        "      +     | filter level = 'WARN'",
        "            | stats count() by bin(5m)",
        "            | sort @timestamp",
    ]


def test_a_long_json_value_without_names_shows_a_diff_of_indented_json():
    before = [{"Effect": "Allow", "Resource": f"arn:aws:sns:us-east-1:1:topic-{i}"} for i in range(8)]
    after = before[:3] + [{"Effect": "Deny", "Resource": "arn:aws:sns:us-east-1:1:topic-3"}] + before[4:7]
    lines = update_lines(update({"doc": before}, {"doc": after}))
    assert lines[:2] == ["        doc:", "            ..."]  # lines before the first change left out
    assert '      -         "Effect": "Allow",' in lines
    assert '      +         "Effect": "Deny",' in lines
    assert '      -         "Resource": "arn:aws:sns:us-east-1:1:topic-7"' in lines
    assert all(len(line) < 80 for line in lines)  # indented JSON, one key a line


def test_a_long_value_changed_late_never_shows_the_same_on_both_sides():
    before, after = {"expression": "m1 + " * 60 + "m2"}, {"expression": "m1 + " * 60 + "m3"}
    [line] = update_lines(update(before, after))
    shown_before, shown_after = line.split(": ", 1)[1].split(" -> ")
    assert shown_before != shown_after and shown_before.endswith('m2"')
