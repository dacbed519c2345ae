"""The last-applied marker: what tells drift (AWS changed) from a config change.

obsctl keeps no state file, so each taggable resource carries the digest of the desired spec
it was last applied from, in the tag `obsctl:applied`. The marker travels beside the spec,
never inside it: `Desired.applied` is the digest of the desired spec, `Live.applied` the tag's
value, and comparable forms (both sides) hold only the tags the config declares. Kinds write
the marker with the tags on every create and update (`Desired.written_tags`). At plan time:

- marker == digest of the desired spec   -> the config did not change: the diff is *drift*
- marker == digest of the live spec      -> AWS did not change: the diff is a *config* change
- neither                                -> both changed since the last apply
- no marker (untaggable kinds, resources applied before markers or by an obsctl whose
  markers had another form)               -> unknown

A resource whose spec matches the config is no change, whatever its marker says (missing,
older form, or stale because AWS was edited to match a config change): the marker is only
rewritten with the next real create or update, so it never causes a diff of its own.
"""

from __future__ import annotations

import hashlib
import json

APPLIED_TAG = "obsctl:applied"
DRIFT, CONFIG, BOTH = "drift", "config", "config+drift"
# Markers of this form digest the whole spec, tags included; earlier ones (16 hex digits,
# tags left out) cannot be compared with it and read as unknown.
_FORM = "v2-"


def digest(spec: dict) -> str:
    canonical = json.dumps(spec, sort_keys=True, default=str, separators=(",", ":"))
    return _FORM + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def without_marker(tags: dict[str, str]) -> dict[str, str]:
    """A resource's tags as the config can declare them: the marker is obsctl's, not the user's."""
    if APPLIED_TAG not in tags:
        return tags
    return {key: value for key, value in tags.items() if key != APPLIED_TAG}


def cause(marker: str | None, live_spec: dict, desired_spec: dict) -> str | None:
    """Why `live_spec` differs from `desired_spec`, given the live resource's marker."""
    if marker is None or not marker.startswith(_FORM):
        return None
    if marker == digest(desired_spec):
        return DRIFT
    if marker == digest(live_spec):
        return CONFIG
    return BOTH
