"""Which stack owns a resource: the tags obsctl writes on every taggable resource.

- OWNER_TAG (`obsctl:stack=<stack>`): the stack that owns the resource; obsctl never changes
  or deletes a resource its stack does not own.
- APPLIED_TAG (`obsctl:applied=<digest>`): the last-applied marker (reconciler/applied.py).

Untaggable kinds (filters, saved queries) are owned by the stack's `prune` patterns instead
(config/stack.py `owns_by_pattern`).
"""

from __future__ import annotations

from reconciler.applied import APPLIED_TAG  # noqa: F401  (re-exported: the obsctl tag names)

OWNER_TAG = "obsctl:stack"


def owner_of(tags: dict[str, str] | None) -> str | None:
    """The stack named by a resource's owner tag; None: no owner tag (or tags unknown)."""
    return (tags or {}).get(OWNER_TAG)


def is_owned_by(tags: dict[str, str] | None, stack_name: str) -> bool:
    """Does the resource carrying `tags` belong to stack `stack_name`?"""
    return owner_of(tags) == stack_name
