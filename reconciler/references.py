"""References across the stacks of one run (a link's `sink: {stack: ..., name: ...}`): the
refusal when the run leaves the named stack out, and the other stacks' AWS clients that the
kinds resolve such references through (Kind.resolve_references)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from reconciler.aws import SharedReads
from reconciler.diagnostics import ObsctlError
from reconciler.text import visible

if TYPE_CHECKING:
    from reconciler.aws import AwsContext
    from reconciler.config.stack import Stack
    from reconciler.kinds.base import Kind


class RunStacks:
    """The stacks of a run by name, and each one's AwsContext, made once when first asked."""

    def __init__(self, stacks: list["Stack"], make_aws: Callable[["Stack"], "AwsContext"]) -> None:
        self._stacks = {stack.name: stack for stack in stacks}
        self._make_aws = make_aws
        self._contexts = SharedReads()  # concurrent callers wait for the one making it

    def aws_of(self, name: str) -> "AwsContext":
        """The clients of stack `name` (in the run: refuse_outside_references checked it)."""
        return self._contexts.once(name, lambda: self._make_aws(self._stacks[name]))


def refuse_outside_references(stacks: list["Stack"], kinds: list["Kind"]) -> None:
    """ObsctlError, one line and before any AWS call, when a stack names what a stack outside
    the run declares (`--changed-since`, a path or a CI matrix job that selects one stack)."""
    names = {stack.name for stack in stacks}
    for stack in stacks:
        for kind in kinds:
            for reference in kind.stack_references(stack):
                if reference.stack not in names:
                    where = f" ({visible(str(reference.location))})" if reference.location else ""
                    raise ObsctlError(
                        f"{reference.field}{where} names {reference.kind} {reference.name!r} of "
                        f"stack {reference.stack!r}, which is not in this run: include that "
                        "stack's files in the run, or write the value itself (a sink's ARN); "
                        "nothing was changed")
