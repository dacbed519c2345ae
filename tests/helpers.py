"""Small assertions shared by end-to-end tests."""

from __future__ import annotations

import re

from reconciler.applied import APPLIED_TAG


def without_marker(tags: dict[str, str]) -> dict[str, str]:
    """The tags of an applied resource minus the last-applied marker, which must be there."""
    assert re.fullmatch(r"[0-9a-f]{16}", tags.get(APPLIED_TAG, "")), tags
    return {k: v for k, v in tags.items() if k != APPLIED_TAG}
