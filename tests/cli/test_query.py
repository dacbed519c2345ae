"""`obsctl query`: a saved query of the config run against log events put with boto3."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from reconciler.diagnostics import ObsctlError
from reconciler.cli.query import result_table
from reconciler.logs_insights import parse_moment, wait_for_results

CONFIG = """
stack: test
queries:
  overhead:
    log_groups: [/aws/sagemaker/Endpoints/prod-churn]
    query: fields @timestamp, @message | filter @message like /overhead/ | sort @timestamp desc | limit 20
  errors-per-hour:
    log_groups: [/aws/sagemaker/Endpoints/prod-churn]
    query: filter @message like /(?i)error/ | stats count(*) as errors by bin(1h)
"""
GROUP = "/aws/sagemaker/Endpoints/prod-churn"


@pytest.fixture
def events(boto):
    logs = boto("logs")
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="AllTraffic/i-1")
    now = int(time.time() * 1000)
    messages = [(now - 3 * 3600_000, "overhead 90ms (too old for --since 1h)"),
                (now - 120_000, "ERROR model failed"), (now - 60_000, "overhead 12ms"),
                (now - 30_000, "Error again"), (now - 1000, "overhead 7ms")]
    logs.put_log_events(logGroupName=GROUP, logStreamName="AllTraffic/i-1",
                        logEvents=[{"timestamp": t, "message": m} for t, m in messages])


def test_runs_the_saved_query_and_prints_its_rows(obsctl, write_config, events):
    result = obsctl("query", "overhead", write_config(CONFIG), "--since", "1h")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "overhead" in line]
    assert [line.split("│")[2].strip() for line in lines] == ["overhead 7ms", "overhead 12ms"]
    assert "@timestamp" in result.stdout and "@message" in result.stdout
    assert "@ptr" not in result.stdout
    assert "2 rows · Complete · 4 records scanned" in result.stderr
    assert result.calls["logs.StartQuery"] == 1 and result.calls["logs.GetQueryResults"] >= 1


def test_stats_query_and_limit(obsctl, write_config, events):
    result = obsctl("query", "errors-per-hour", write_config(CONFIG), "--since", "1h")
    assert result.exit_code == 0, result.stderr
    assert "bin(1h)" in result.stdout and "errors" in result.stdout
    counts = [int(line.split("│")[2]) for line in result.stdout.splitlines() if ":00:00.000" in line]
    assert sum(counts) == 2
    limited = obsctl("query", "overhead", write_config(CONFIG), "--since", "6h", "--limit", "1")
    assert "1 row · Complete" in limited.stderr


def test_unknown_query_name_suggests_the_closest_and_calls_nothing(obsctl, write_config):
    result = obsctl("query", "overhed", write_config(CONFIG))
    assert result.exit_code == 1
    assert "no saved query 'overhed' in the config (did you mean 'overhead'?)" in result.stderr
    assert sum(result.calls.values()) == 0


def test_missing_log_group_is_an_aws_error_not_a_traceback(obsctl, write_config):
    result = obsctl("query", "overhead", write_config(CONFIG))
    assert result.exit_code == 1
    assert "ResourceNotFoundException" in result.stderr and "Traceback" not in result.stderr


def test_bad_window_is_a_usage_error(obsctl, write_config):
    result = obsctl("query", "overhead", write_config(CONFIG), "--since", "yesterday")
    assert result.exit_code == 1 and "use now, a duration like 15m" in result.stderr
    assert "Invalid value for '--since'" in result.stderr


def test_parse_moment():
    now = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    assert parse_moment("now", now) == now
    assert parse_moment("90s", now) == now - timedelta(seconds=90)
    assert parse_moment("2d", now) == now - timedelta(days=2)
    assert parse_moment("2024-05-01T10:00:00", now) == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    assert parse_moment("2024-05-01T10:00:00+02:00", now).utcoffset() == timedelta(hours=2)
    with pytest.raises(ValueError, match="use now, a duration like 15m"):
        parse_moment("1 fortnight", now)


class SlowLogs:
    def __init__(self, statuses):
        self.statuses, self.stopped = list(statuses), []

    def get_query_results(self, queryId):
        return {"status": self.statuses.pop(0), "results": []}

    def stop_query(self, queryId):
        self.stopped.append(queryId)


def test_polling_backs_off_until_complete():
    sleeps = []
    logs = SlowLogs(["Scheduled", "Running", "Running", "Running", "Complete"])
    response = wait_for_results(logs, "q", timeout=60, sleep=sleeps.append, clock=lambda: 0)
    assert response["status"] == "Complete"
    assert sleeps == [0.25, 0.5, 1.0, 2.0]


def test_polling_stops_the_query_at_the_timeout():
    clock = iter(range(0, 100, 3))
    logs = SlowLogs(["Running"] * 10)
    with pytest.raises(ObsctlError, match="still Running after 5 s; stopped it"):
        wait_for_results(logs, "q", timeout=5, sleep=lambda _: None, clock=lambda: next(clock))
    assert logs.stopped == ["q"]


def test_table_hides_ptr_and_keeps_field_order():
    table = result_table([[{"field": "b", "value": "1"}, {"field": "@ptr", "value": "x"}],
                          [{"field": "a", "value": "2"}]])
    assert [str(column.header) for column in table.columns] == ["b", "a"]


# -- --format json|csv: the rows as data, hostile values exact --------------------------------

HOSTILE_CONFIG = """
stack: test
queries:
  hostile:
    log_groups: [/aws/sagemaker/Endpoints/prod-churn]
    query: >-
      parse @message "model=* says *" as model, said
      | fields @logStream, model, said
      | filter @message like /says/
      | sort @timestamp asc
"""
HOSTILE = ['model=v1, "quoted" says a,b', "model=v2 says line one\nline two",
           "model=\x1b[31mred\x1b[0m says [bold]markup[/] \u202eevil", "no model here says nothing"]


@pytest.fixture
def hostile_events(boto):
    logs = boto("logs")
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="AllTraffic/i-1")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=GROUP, logStreamName="AllTraffic/i-1", logEvents=[
        {"timestamp": now - 60_000 + i, "message": m} for i, m in enumerate(HOSTILE)])


def _stdout_bytes(*args: str) -> bytes:
    """stdout as bytes: the obsctl fixture's text turns CRLF into LF (click's CliRunner)."""
    from click.testing import CliRunner

    from reconciler.cli import main

    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


def test_json_is_a_list_of_row_objects_with_exact_values(obsctl, write_config, hostile_events):
    result = obsctl("query", "hostile", write_config(HOSTILE_CONFIG), "--format", "json")
    assert result.exit_code == 0, result.stderr
    stream = "AllTraffic/i-1"
    assert json.loads(result.stdout) == [
        {"@logStream": stream, "model": "v1, \"quoted\"", "said": "a,b"},
        {"@logStream": stream, "model": "v2", "said": "line one\nline two"},
        {"@logStream": stream, "model": "\x1b[31mred\x1b[0m", "said": "[bold]markup[/] \u202eevil"},
        {"@logStream": stream},
    ]
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout  # \u escapes in JSON
    assert "4 rows · Complete" in result.stderr


def test_csv_is_rfc_4180_with_a_header_row(aws, write_config, hostile_events):
    out = _stdout_bytes("query", "hostile", write_config(HOSTILE_CONFIG), "--format", "csv")
    assert out == ('@logStream,model,said\r\n'
                   'AllTraffic/i-1,"v1, ""quoted""","a,b"\r\n'
                   'AllTraffic/i-1,v2,"line one\nline two"\r\n'
                   'AllTraffic/i-1,\x1b[31mred\x1b[0m,[bold]markup[/] \u202eevil\r\n'
                   'AllTraffic/i-1,,\r\n').encode()
    parsed = list(csv.reader(io.StringIO(out.decode(), newline="")))
    assert parsed[2] == ["AllTraffic/i-1", "v2", "line one\nline two"]


def test_table_writes_hostile_values_out_and_reads_no_markup(obsctl, write_config,
                                                              hostile_events):
    result = obsctl("query", "hostile", write_config(HOSTILE_CONFIG))
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "\\x1b[31mred\\x1b[0m" in result.stdout
    assert "[bold]markup[/] \\u202eevil" in result.stdout
    assert "line one\\nline two" in result.stdout


def test_empty_results_in_each_format(obsctl, write_config, hostile_events):
    for output_format, expected in (("table", ""), ("json", "[]\n"), ("csv", "")):
        result = obsctl("query", "overhead", write_config(CONFIG), "--format", output_format)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == expected and "0 rows · Complete" in result.stderr


def test_unknown_format_is_a_usage_error(obsctl, write_config):
    result = obsctl("query", "overhead", write_config(CONFIG), "--format", "xml")
    assert result.exit_code == 1 and "Invalid value for '--format'" in result.stderr
    assert sum(result.calls.values()) == 0


def test_shipped_root_cause_query_parses_container_log_lines(aws, boto):
    """examples/ml-platform's `parse` query: 5XX failures per model version and error type."""
    logs = boto("logs")
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="AllTraffic/i-1")
    now = int(time.time() * 1000)
    lines = ["INFO status=200 model=churn-v7 error=none",
             "ERROR status=503 model=churn-v7 error=ModelTimeout: inference took 30012 ms",
             "ERROR status=500 model=churn-v6 error=KeyError: 'tenure'",
             "ERROR status=503 model=churn-v7 error=ModelTimeout: inference took 30500 ms",
             "container started"]
    logs.put_log_events(logGroupName=GROUP, logStreamName="AllTraffic/i-1", logEvents=[
        {"timestamp": now - 60_000 + i, "message": m} for i, m in enumerate(lines)])
    out = _stdout_bytes("query", "prod-churn-failing-models", "examples/ml-platform",
                        "--format", "csv")
    assert out == (b"model,error,failures\r\n"
                   b"churn-v7,ModelTimeout,2\r\n"
                   b"churn-v6,KeyError,1\r\n")
