"""The Metrics Insights grammar on its own: what parses into which parts, and the column each
error names."""

from __future__ import annotations

import pytest

from reconciler.config.metrics_insights import (MetricsInsightsQuery, QueryError,
                                                looks_like_a_query, parse_metrics_insights)


@pytest.mark.parametrize("query, parsed", [
    ('SELECT MAX(ModelLatency) FROM SCHEMA("AWS/SageMaker", EndpointName, VariantName)',
     MetricsInsightsQuery("MAX", "ModelLatency", "AWS/SageMaker", ["EndpointName", "VariantName"])),
    ('SELECT AVG(CPUUtilization) FROM "AWS/EC2"',
     MetricsInsightsQuery("AVG", "CPUUtilization", "AWS/EC2")),
    ('SELECT COUNT(CPUUtilization) FROM SCHEMA("AWS/EC2")',
     MetricsInsightsQuery("COUNT", "CPUUtilization", "AWS/EC2", [])),
    # keywords in any case; the last example of the User Guide, every clause
    ("select sum(RequestCount) from SCHEMA(\"AWS/ApplicationELB\", LoadBalancer, AvailabilityZone)"
     " where LoadBalancer = 'app/load-balancer-1' and tag.Environment = 'prod'"
     " group by AvailabilityZone order by max() desc limit 5",
     MetricsInsightsQuery("SUM", "RequestCount", "AWS/ApplicationELB",
                          ["LoadBalancer", "AvailabilityZone"], ["AvailabilityZone"], "MAX() DESC", 5)),
    # cross-account forms: a bare account number, CURRENT_ACCOUNT_ID(), AWS.AccountId groups
    ('SELECT AVG(CpuUtilization) FROM "AWS/EC2" WHERE AWS.AccountId=444455556666',
     MetricsInsightsQuery("AVG", "CpuUtilization", "AWS/EC2")),
    ('SELECT AVG(CpuUtilization) FROM "AWS/EC2" WHERE AWS.AccountId = CURRENT_ACCOUNT_ID()',
     MetricsInsightsQuery("AVG", "CpuUtilization", "AWS/EC2")),
    ('SELECT AVG(CpuUtilization) FROM "AWS/EC2" GROUP BY AWS.AccountId, InstanceType ORDER BY AVG()',
     MetricsInsightsQuery("AVG", "CpuUtilization", "AWS/EC2", None,
                          ["AWS.AccountId", "InstanceType"], "AVG() ASC")),
    # quoted names: reserved words, escaped quotes; a name may start with a digit (4XXError)
    ('SELECT AVG("LIMIT") FROM ns', MetricsInsightsQuery("AVG", "LIMIT", "ns")),
    ('SELECT AVG("Bytes\\"Input\\"") FROM ns', MetricsInsightsQuery("AVG", 'Bytes"Input"', "ns")),
    ('SELECT SUM(4XXError) FROM "AWS/ApiGateway"',
     MetricsInsightsQuery("SUM", "4XXError", "AWS/ApiGateway")),
    # a query over several lines (a YAML block scalar), and the trailing ';' of the docs
    ('SELECT AVG(DatabaseConnections)\nFROM "AWS/RDS"\nGROUP BY DBInstanceIdentifier\n'
     'ORDER BY AVG() DESC;\n',
     MetricsInsightsQuery("AVG", "DatabaseConnections", "AWS/RDS", None,
                          ["DBInstanceIdentifier"], "AVG() DESC")),
    ("SELECT MAX(x) FROM y LIMIT 500", MetricsInsightsQuery("MAX", "x", "y", limit=500)),
])
def test_what_a_query_is_made_of(query, parsed):
    assert parse_metrics_insights(query) == parsed
    assert looks_like_a_query(query)


@pytest.mark.parametrize("query, message", [
    ("", "the query is empty"),
    ("100 * m1", "unexpected '100' at column 1: SELECT was expected"),
    ("SELECT MAX(ModelLatency FROM x", "unexpected 'FROM' at column 25: ')' was expected after"),
    ("SELECT AVERAGE(ModelLatency) FROM x",
     "unknown function 'AVERAGE' at column 8: Metrics Insights has AVG, COUNT, MAX, MIN, SUM "
     "(did you mean AVG?)"),
    ("SELECT p90(ModelLatency) FROM x", "unknown function 'p90' at column 8"),
    ("SELECT MAX(*) FROM y", "unexpected '*' at column 12: SELECT takes one metric name"),
    ("SELECT MAX(Count) FROM x",
     "'Count' at column 12 is a reserved word in Metrics Insights: write the name in double "
     'quotes ("Count")'),
    ("SELECT MAX(ModelLatency) FROM AWS/SageMaker",
     "'AWS/SageMaker' at column 31: names with characters other than letters, digits and _ are "
     "written in double quotes"),
    ("SELECT MAX('ModelLatency') FROM x", "'ModelLatency' at column 12: names are written bare"),
    ('SELECT MAX(ModelLatency) FROM SCHEMA("AWS/SageMaker", EndpointName',
     "the query ends where ',' or ')' was expected to close SCHEMA's '(' at column 37"),
    ("SELECT MAX(ModelLatency) FROM SCHEMA()",
     "unexpected ')' at column 38: the namespace (SCHEMA's first argument) was expected"),
    ("SELECT MAX(ModelLatency) FROM", "the query ends where a namespace or SCHEMA(...) was expected"),
    ("SELECT MAX(x) FROM y WHERE a = b",
     "the label value b at column 32 is not in single quotes: write 'b'"),
    ('SELECT MAX(x) FROM y WHERE a = "b"', "the label value \"b\" at column 32 is not in single"),
    ("SELECT MAX(x) FROM y WHERE a > 5",
     "unexpected '>' at column 30: WHERE compares labels with = or != only"),
    ("SELECT MAX(x) FROM y WHERE a LIKE 'b%'",
     "unexpected 'LIKE' at column 30: = or != was expected after the label key at column 28"),
    ("SELECT MAX(x) FROM y WHERE a = 'b' OR c = 'd'",
     "unexpected OR at column 36: Metrics Insights combines WHERE conditions with AND only"),
    ("SELECT MAX(x) FROM y WHERE a = 'b", "the quote opened at column 32 is never closed"),
    ('SELECT MAX("x) FROM y', "the quote opened at column 12 is never closed"),
    ("SELECT MAX(x) FROM y GROUP InstanceId", "unexpected 'InstanceId' at column 28: BY was expected"),
    ("SELECT MAX(x) FROM y ORDER BY MAX(x)",
     "unexpected 'x' at column 35: ')' was expected: ORDER BY MAX() takes no argument"),
    ("SELECT MAX(x) FROM y ORDER BY MEDIAN()", "unknown function 'MEDIAN' at column 31"),
    ("SELECT MAX(x) FROM y LIMIT 501", "a LIMIT of 501 at column 28: a query returns 1 to 500 time series"),
    ("SELECT MAX(x) FROM y LIMIT 0", "a LIMIT of 0 at column 28"),
    ("SELECT MAX(x) FROM y LIMIT " + "9" * 5000, "a LIMIT of 999999999999... at column 28"),
    ("SELECT MAX(x) FROM y LIMIT ten", "unexpected 'ten' at column 28: LIMIT takes a number"),
    ("SELECT MAX(x) FROM y LIMIT 5 ORDER BY MAX()",
     "unexpected 'ORDER' at column 30: WHERE, GROUP BY, ORDER BY, LIMIT or the end of the query "
     "was expected here (in this order)"),
    ("SELECT MAX(x) FROM y; SELECT MIN(x) FROM y",
     "more after the ';' at column 21: one query only (an alarm watches a single Metrics "
     "Insights query)"),
])
def test_errors_name_the_column_within_the_query(query, message):
    with pytest.raises(QueryError) as raised:
        parse_metrics_insights(query)
    assert str(raised.value).startswith(message), str(raised.value)


@pytest.mark.parametrize("text, expected", [
    ("SELECT MAX(x) FROM y", True), ("  select max(x) from y", True), ("SELECT(x)", True),
    ("100 * errors / invocations", False), ("SELECTED", False), ("m1 + SELECT", False),
])
def test_what_looks_like_a_query(text, expected):
    assert looks_like_a_query(text) is expected


def test_hostile_text_fails_fast_with_a_short_message():
    for text in ("SELECT MAX(x) FROM y WHERE " + "a = 'b' AND " * 5000 + "c",
                 "SELECT MAX(" + "(" * 10_000, "\x00\x1b[31m" * 1000):
        with pytest.raises(QueryError) as raised:
            parse_metrics_insights(text)
        assert len(str(raised.value)) < 300
