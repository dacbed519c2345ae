"""Metric math across the entries of one metric widget: ids are unique, every id an expression
uses is defined in the same widget, expressions do not use each other in a cycle; and the ids
CloudWatch needs on expressions the config left without one.

Each entry's own syntax (the id's shape, the expression's grammar) is checked by the config
model; these checks need all entries of the widget at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.config.expressions import parse_metric_math
from reconciler.diagnostics import did_you_mean
from reconciler.kinds.composite_alarms import find_cycles
from reconciler.kinds.dashboards.model import DashboardExpression

AUTOMATIC_ID_PREFIX = "e"  # e1, e2, ...: the ids the CloudWatch console gives expressions


@dataclass(frozen=True)
class MathProblem:
    path: tuple  # within the widget's `metrics`: (index, field)
    message: str
    hint: str | None = None


def expression_ids(metrics: list) -> list[str | None]:
    """The id each entry is written with: its own, or for an expression without one the first
    free e1, e2, ... (a dashboard expression needs an id); None for a metric without one."""
    taken = {entry.id for entry in metrics if entry.id}
    ids, counter = [], 0
    for entry in metrics:
        if entry.id or not isinstance(entry, DashboardExpression):
            ids.append(entry.id)
            continue
        counter += 1
        while f"{AUTOMATIC_ID_PREFIX}{counter}" in taken:
            counter += 1
        ids.append(f"{AUTOMATIC_ID_PREFIX}{counter}")
    return ids


def metric_math_problems(metrics: list) -> list[MathProblem]:
    first_index: dict[str, int] = {}
    problems = []
    for index, entry in enumerate(metrics):
        if entry.id is None:
            continue
        if entry.id in first_index:
            problems.append(MathProblem(
                (index, "id"), f"id {entry.id!r} is used twice in this widget (first by "
                               f"metrics[{first_index[entry.id]}]); ids must be unique"))
        else:
            first_index[entry.id] = index
    uses = {index: parse_metric_math(entry.expression).ids for index, entry in enumerate(metrics)
            if isinstance(entry, DashboardExpression)}
    problems += _unknown_ids(uses, set(first_index))
    problems += _cycles(metrics, uses)
    return problems


def _unknown_ids(uses: dict[int, dict[str, int]], defined: set[str]) -> list[MathProblem]:
    problems = []
    known = f"ids: {', '.join(sorted(defined))}" if defined else "no entry of it has an `id`"
    for index, used in uses.items():
        for name, column in used.items():
            if name not in defined:
                problems.append(MathProblem(
                    (index, "expression"),
                    f"{name!r} at column {column} is not the id of a metric or expression of "
                    f"this widget ({known})", did_you_mean(name, defined)))
    return problems


def _cycles(metrics: list, uses: dict[int, dict[str, int]]) -> list[MathProblem]:
    index_of = {metrics[index].id: index for index in uses if metrics[index].id}
    graph = {name: [used for used in uses[index] if used in index_of]
             for name, index in index_of.items()}
    return [MathProblem((index_of[cycle[0]], "expression"),
                        f"expressions name each other in a cycle: {' -> '.join(cycle)}; "
                        "CloudWatch cannot draw any of them")
            for cycle in find_cycles(graph)]
