"""The metric math grammar on its own: what parses, which ids and functions it uses, and the
column each syntax error names."""

from __future__ import annotations

import pytest

from reconciler.config.expressions import ExpressionError, MAX_NESTING, parse_metric_math


@pytest.mark.parametrize("expression, ids, functions", [
    ("100 * errors / invocations", {"errors": 7, "invocations": 16}, {}),
    ("IF(m1 > 1e3, RATE(m2), 0)", {"m1": 4, "m2": 19}, {"IF": 1, "RATE": 14}),
    ("SEARCH('{AWS/EC2,InstanceId} cpu', 'Average', 300)", {}, {"SEARCH": 1}),
    ('SUM(METRICS("errors"))/SUM(METRICS("requests"))*100', {}, {"SUM": 1, "METRICS": 5}),
    ("SUM([m1, m2]) / AVG(m2)", {"m1": 6, "m2": 10}, {"SUM": 1, "AVG": 17}),
    ("SLICE(SORT(METRICS(), SUM, DESC), 0, 10)", {}, {"SLICE": 1, "SORT": 7, "METRICS": 12}),
    ("FILL(METRICS(), LINEAR) + FILL(m1, REPEAT)", {"m1": 32}, {"FILL": 1, "METRICS": 6}),
    ("IF((DAY(m1)<6 AND (HOUR(m1)>=9 AND HOUR(m1)<17)),m1)", {"m1": 9},
     {"IF": 1, "DAY": 5, "HOUR": 20}),
    ("(m1 > 15 && m2 > 15) || m3 != 1 OR m4 == 0", {"m1": 2, "m2": 13, "m3": 25, "m4": 36}, {}),
    ("-m1 ^ 2 - -.5e-3 * SUM(-[m1, m2])", {"m1": 2, "m2": 30}, {"SUM": 20}),
    ("LAST(ANOMALY_DETECTION_BAND(m1, 4))", {"m1": 29}, {"LAST": 1, "ANOMALY_DETECTION_BAND": 6}),
    ("error_rate_5xx", {"error_rate_5xx": 1}, {}),
])
def test_what_an_expression_uses(expression, ids, functions):
    parsed = parse_metric_math(expression)
    assert parsed.ids == ids
    assert parsed.functions == functions


@pytest.mark.parametrize("expression, message", [
    ("", "the expression is empty"),
    ("100 * (errors / invocations", "'(' at column 7 is never closed"),
    ("SUM([m1, m2)", "unexpected ')' at column 12: expected ']' to close '[' at column 5"),
    ("errors / ", "the expression ends where a value was expected"),
    ("errors / )", "unexpected ')' at column 10: a value was expected"),
    ("SUM(m1,)", "unexpected ')' at column 8: a value was expected"),
    ("m1 m2", "unexpected 'm2' at column 4: an operator or the end of the expression was expected"),
    ("m1 = m2", "unexpected '=' at column 4 (compare with ==)"),
    ("m1 & m2", "unexpected '&' at column 4 (use && or AND)"),
    ("m1 ! m2", "unexpected '!' at column 4 (use != to compare)"),
    ("m1 % 2", "unexpected '%' at column 4"),
    ("m1 + 'x", "the string opened at column 6 is never closed"),
    ("sum(m1)", "unknown function 'sum' at column 1 (functions are upper case: SUM)"),
    ("2 * SUMM(m1)", "unknown function 'SUMM' at column 5 (did you mean SUM?)"),
    ("Errors / m1", "'Errors' at column 1 is neither a metric id (ids start with a lowercase "
                    "letter) nor a function call like SUM(m1)"),
    ("AVG + m1", "'AVG' at column 1 is neither a metric id"),
    ("AND m1", "unexpected 'AND' at column 1: a value was expected"),
    ("SORT(METRICS(), AVG, DESC", "'(' at column 5 is never closed"),
    ("(" * 40 + "m1" + ")" * 40, f"nested more than {MAX_NESTING} levels deep at column 33"),
    ("-" * 2000 + "m1", f"nested more than {MAX_NESTING} levels deep at column 33"),
])
def test_syntax_errors_name_the_column(expression, message):
    with pytest.raises(ExpressionError) as raised:
        parse_metric_math(expression)
    assert str(raised.value).startswith(message)


def test_nesting_up_to_the_limit_parses():
    depth = MAX_NESTING - 1
    assert parse_metric_math("(" * depth + "m1" + ")" * depth).ids == {"m1": depth + 1}
