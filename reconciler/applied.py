"""The last-applied marker: what tells drift (AWS changed) from a config change.

obsctl keeps no state file, so each taggable resource carries the digest of the config it was
last applied from, in the tag `obsctl:applied`. At plan time:

- marker == digest of the desired spec   -> the config did not change: the diff is *drift*
- marker == digest of the live spec      -> AWS did not change: the diff is a *config* change
- neither                                -> both changed since the last apply
- no marker (untaggable kinds, resources applied before markers) -> unknown

The marker itself is never shown as a field change; it is written with every create/update.
"""

from __future__ import annotations

import hashlib
import json

APPLIED_TAG = "obsctl:applied"
DRIFT, CONFIG, BOTH = "drift", "config", "config+drift"


def digest(spec: dict) -> str:
    without_tags = {key: value for key, value in spec.items() if key != "tags"}
    canonical = json.dumps(without_tags, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def mark(spec: dict) -> None:
    """Add the marker to a desired spec of a taggable kind (one with `tags`)."""
    if isinstance(spec.get("tags"), dict):
        spec["tags"][APPLIED_TAG] = digest(spec)


def hidden(spec: dict | None) -> dict | None:
    """The spec without the marker, for diffs and display."""
    if not spec or APPLIED_TAG not in (spec.get("tags") or {}):
        return spec
    return {**spec, "tags": {k: v for k, v in spec["tags"].items() if k != APPLIED_TAG}}


def cause(live_tags: dict | None, live_spec: dict, desired_spec: dict) -> str | None:
    marker = (live_tags or {}).get(APPLIED_TAG)
    if marker is None:
        return None
    if marker == digest(desired_spec):
        return DRIFT
    if marker == digest(live_spec):
        return CONFIG
    return BOTH
