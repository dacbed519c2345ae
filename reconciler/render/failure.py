"""A plan that could not be made, in the format asked for: with `--format markdown` or `json`
stdout is a document either way, so a pull request always gets a comment that says why.

`render_failure(format, problems)`: problems are Diagnostics (config errors, with file:line:col)
or plain messages (a conflict refusal, a refused prune, an AWS error).
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.diagnostics import Diagnostic
from reconciler.plan_document import FORMAT_VERSION, failure_document
from reconciler.render import json_plan
from reconciler.render.escape import md_code, md_text, visible


def render_failure(output_format: str, problems: Iterable[Diagnostic | str],
                   format_version: str | int = FORMAT_VERSION) -> str:
    document = failure_document(problems, format_version)
    if output_format == "json":
        return json_plan.render(document)
    if output_format == "markdown":
        return _markdown(document)
    return "".join(f"{visible(_where(e) + ': ' if e['file'] else '')}error: "
                   f"{visible(e['message'])}\n" for e in document["errors"])


def _markdown(document: dict) -> str:
    lines = ["### ❌ obsctl plan failed", "",
             "Nothing was planned; fix these and push again:", ""]
    for error in document["errors"]:
        where = f"{md_code(_where(error))}: " if error["file"] else ""
        lines.append(f"- {where}{md_text(error['message'])}")
    return "\n".join(lines) + "\n"


def _where(error: dict) -> str:
    return ":".join(str(part) for part in (error["file"], error["line"], error["col"])
                    if part is not None)
