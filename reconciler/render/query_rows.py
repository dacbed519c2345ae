"""The rows of a Logs Insights query (GetQueryResults `results`) as a table, JSON or CSV.

Every row is a list of `{"field", "value"}` cells in the query's field order; `@ptr` (an
opaque record pointer) is left out of every format. The table is for a terminal: field names
and values are written with `visible` (a log line may hold ESC sequences or line breaks) and
never read as rich markup (`[/]` in a message is text). JSON and CSV are data: values are
exactly what AWS returned (strings), quoted by the json and csv modules, never rewritten.
"""

from __future__ import annotations

import csv
import io
import json

from rich.table import Table
from rich.text import Text

from reconciler.render.escape import visible

HIDDEN_FIELDS = ("@ptr",)
FORMATS = ("table", "json", "csv")


def columns(rows: list[list[dict]]) -> list[str]:
    """Every field of the rows, in order of first appearance, hidden ones left out."""
    found: dict[str, None] = {}
    for row in rows:
        found.update((cell["field"], None) for cell in row if cell["field"] not in HIDDEN_FIELDS)
    return list(found)


def records(rows: list[list[dict]]) -> list[dict[str, str]]:
    """Each row as field -> value, in the row's own field order (a row has only the fields
    its record had, as AWS returns it)."""
    return [{cell["field"]: cell.get("value", "") for cell in row
             if cell["field"] not in HIDDEN_FIELDS} for row in rows]


def result_table(rows: list[list[dict]]) -> Table:
    names = columns(rows)
    table = Table(show_lines=False)
    for name in names:
        table.add_column(Text(visible(name)))
    for record in records(rows):
        table.add_row(*(Text(visible(record.get(name, ""))) for name in names))
    return table


def as_json(rows: list[list[dict]]) -> str:
    """A list of row objects; ASCII-only (\\u escapes), so it is also safe on a terminal."""
    return json.dumps(records(rows), indent=2, ensure_ascii=True) + "\n"


def as_csv(rows: list[list[dict]]) -> str:
    """RFC 4180: a header row, CRLF line ends, fields with commas, quotes or line breaks quoted
    (quotes doubled). A field a row lacks is empty. No rows: no output (no header is known)."""
    if not rows:
        return ""
    names = columns(rows)
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=names, restval="", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records(rows))
    return out.getvalue()
