"""`obsctl stacks [PATH...] [--format text|json|github-matrix] [--changed-since GIT_REF]`: the
stacks under PATH, with region, account and files; no AWS call. `github-matrix` is a
`strategy.matrix` for GitHub Actions, one job per stack:

    {"include": [{"stack": "ml-prod", "region": "us-east-1", "account": "111111111111",
                  "paths": "monitoring/prod/alarms.yaml monitoring/prod/stack.yaml"}]}

`paths` is one string of shell words, each quoted where needed, made to be pasted as is into
a workflow's `run:` line: `obsctl plan ${{ matrix.paths }}`. A stack with no file left (all
deleted since GIT_REF) lists its former files, which `plan --changed-since` accepts.
"""

from __future__ import annotations

import json
import re
import shlex

import click

from reconciler.changes import Selection
from reconciler.cli.common import changed_since_option, load_selected, reports_errors, stats_option
from reconciler.config.stack import Stack
from reconciler.diagnostics import ObsctlError
from reconciler.text import visible

FORMAT_VERSION = 1
MAX_MATRIX_JOBS = 256  # GitHub Actions: "A matrix can generate a maximum of 256 jobs per run"
# What a workflow's `run:` line cannot carry even quoted: control characters (a line break
# ends the command) and bytes that are not UTF-8.
_UNCARRIABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_ROLE_ACCOUNT = re.compile(r"^arn:[^:]+:iam::(\d{12}):")


@click.command("stacks")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json", "github-matrix"]),
              default="text", help="github-matrix: a strategy.matrix for GitHub Actions.")
@changed_since_option
@stats_option
@reports_errors
def stacks_command(paths, output_format, changed_since):
    """List the stacks under PATH (region, account, files), e.g. for a CI matrix."""
    selection = load_selected(list(paths) or ["."], changed_since)
    entries = [_entry(stack, selection) for stack in selection.stacks]
    if output_format == "json":
        click.echo(json.dumps({"format_version": FORMAT_VERSION, "stacks": entries}, indent=2))
    elif output_format == "github-matrix":
        click.echo(json.dumps(github_matrix(entries), separators=(",", ":")))
    else:
        click.echo(_text(entries), nl=False)


def _entry(stack: Stack, selection: Selection) -> dict:
    return {"stack": stack.name, "region": stack.region, "account": account_of(stack),
            "files": list(stack.files),
            "deleted_files": selection.deleted_files.get(stack.name, [])}


def account_of(stack: Stack) -> str | None:
    """The account the stack works in, as far as the config says: the one of its role."""
    match = _ROLE_ACCOUNT.match(stack.config.role_arn or "")
    return match.group(1) if match else None


def github_matrix(entries: list[dict]) -> dict:
    if len(entries) > MAX_MATRIX_JOBS:
        raise ObsctlError(f"{len(entries)} stacks are more than the {MAX_MATRIX_JOBS} jobs a "
                          "GitHub Actions matrix can have; split them by directory")
    return {"include": [{"stack": e["stack"], "region": e["region"], "account": e["account"],
                         "paths": shell_words(e["files"] or e["deleted_files"])}
                        for e in entries]}


def shell_words(files: list[str]) -> str:
    """Files as one shell line, each quoted where needed; a name no line can carry is
    refused (ObsctlError), not mangled."""
    words = []
    for name in files:
        if _UNCARRIABLE.search(name):
            raise ObsctlError(f"file name '{visible(name)}' has characters a shell command line "
                              "cannot carry; rename it")
        words.append(shlex.quote(f"./{name}" if name.startswith("-") else name))
    return " ".join(words)


def _text(entries: list[dict]) -> str:
    if not entries:
        return "No stacks.\n"
    lines = []
    for entry in entries:
        region = entry["region"] or "from the AWS environment"
        lines.append(f"{entry['stack']}  region {region}  account {entry['account'] or 'unknown'}")
        lines += [f"  {visible(f)}" for f in entry["files"]]
        lines += [f"  {visible(f)} (deleted)" for f in entry["deleted_files"]]
    return "\n".join(lines) + "\n"
