"""The plan document: the one public form of a plan.

`obsctl plan --format json` prints it, `plan --out` saves it (plus a `saved` section), and the
text and markdown renderers read it, never the Plan objects, so the three formats cannot
disagree (Terraform's model: one plan document, several views of it). Its shape is a public
contract, described by schemas/plan.schema.json. It is built here, field by field, from named
lists: a field added to Change for internal use does not leak into it.

    {
      "format_version": "2.0",
      "stacks":  [{"stack", "region", "config_digest", "unmanaged_owned"}],
      "changes": [{"stack", "kind", "name", "address", "action", "before", "after",
                   "fields": [{"path", "before", "after"}], "origin", "reason",
                   "fingerprint", "cause", "attribution", "data_loss"}],
      "kept":    [{"stack", "kind", "name", "address", "reason"}],
      "notes":   [{"stack", "source", "message", "subjects"}],
      "summary": {"create", "update", "delete", "conflict"}
    }

A plan that could not be made (config error, conflict refusal, AWS error) is a failure
document instead: {"format_version", "error": true, "errors": [{"message", "file", "line",
"col"}]} (file/line/col null when the problem has no place in the config).

When FORMAT_VERSION changes (write it down in the README's "Plans" section too):
- a field or document added, nothing removed or renamed: minor bump (1.0 -> 1.1). Consumers
  ignore fields they do not know.
- a field removed or renamed, or a meaning changed: major bump (2.0), with the schema's
  `format_version` pattern.
History: 1.0 the plan; 1.1 the failure document; 2.0 `address` of a name starting with `/`
reads `KIND:NAME` (`log_groups:/aws/...`), no longer `KIND//NAME`; 2.1 `notes`.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.diagnostics import Diagnostic
from reconciler.plan import Change, FieldChange, Kept, Note, Plan, StackPlan

FORMAT_VERSION = "2.1"


def plan_document(plan: Plan) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "stacks": [stack_document(s) for s in plan.stacks],
        "changes": [change_document(c) for c in plan.changes],
        "kept": [kept_document(k) for k in plan.kept],
        "notes": [note_document(n) for n in plan.notes],
        "summary": plan.counts(),
    }


def stack_document(stack: StackPlan) -> dict:
    return {"stack": stack.stack, "region": stack.region, "config_digest": stack.config_digest,
            "unmanaged_owned": list(stack.unmanaged_owned)}


def change_document(change: Change) -> dict:
    return {
        "stack": change.stack,
        "kind": change.kind,
        "name": change.name,
        "address": change.address,
        "action": change.action.value,
        "before": change.before,
        "after": change.after,
        "fields": [field_document(f) for f in change.fields],
        "origin": change.origin,
        "reason": change.reason,
        "fingerprint": change.fingerprint,
        "cause": change.cause,
        "attribution": change.attribution,
        "data_loss": change.data_loss,
    }


def field_document(field: FieldChange) -> dict:
    return {"path": field.path, "before": field.before, "after": field.after}


def kept_document(kept: Kept) -> dict:
    return {"stack": kept.stack, "kind": kept.kind, "name": kept.name,
            "address": kept.address, "reason": kept.reason}


def note_document(note: Note) -> dict:
    return {"stack": note.stack, "source": note.source, "message": note.message,
            "subjects": list(note.subjects)}


def failure_document(problems: Iterable[Diagnostic | str],
                     format_version: str | int = FORMAT_VERSION) -> dict:
    """The document of a command that failed (a plan by default: other documents, such as
    status's, pass their own format version): each problem with where it is in the config."""
    return {"format_version": format_version, "error": True,
            "errors": [_error_entry(p) for p in _in_file_order(problems)]}


def _in_file_order(problems: Iterable[Diagnostic | str]) -> list[Diagnostic | str]:
    def key(problem):
        location = getattr(problem, "location", None)
        return (location.file, location.line, location.col) if location else ("", 0, 0)
    return sorted(problems, key=key)


def _error_entry(problem: Diagnostic | str) -> dict:
    if not isinstance(problem, Diagnostic):
        return {"message": str(problem), "file": None, "line": None, "col": None}
    message = problem.message + (f" ({problem.hint})" if problem.hint else "")
    where = problem.location
    return {"message": message, "file": where.file if where else None,
            "line": where.line if where else None, "col": where.col if where else None}
