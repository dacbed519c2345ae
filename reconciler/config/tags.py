"""The tag rules AWS enforces on every taggable resource, checked before any API call.

- Keys are 1-128 characters, values 0-256, of AWS's pattern `^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`:
  letters, digits, white space and `_ . : / = + - @`. The Unicode categories come from
  `unicodedata`; of \\p{Z} only spaces (Zs) pass: the line and paragraph separators (Zl, Zp) are
  newlines, which obsctl refuses in tags as in names.
- Keys starting with `aws:` (any case) are AWS's own; keys starting with `obsctl:` are
  obsctl's (OWNER_TAG, APPLIED_TAG), never written by hand.
- At most 50 tags a resource, of which obsctl adds two: 48 for the user, counting the stack's
  `tags` merged with the resource's own (`validate.merged_tag_problems` checks the merge).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from reconciler.applied import APPLIED_TAG
from reconciler.ownership import OWNER_TAG

MAX_TAGS_PER_RESOURCE = 50  # AWS, for every service obsctl tags
OBSCTL_TAGS = (OWNER_TAG, APPLIED_TAG)
MAX_USER_TAGS = MAX_TAGS_PER_RESOURCE - len(OBSCTL_TAGS)
RESERVED_PREFIX = "obsctl:"
AWS_PREFIX = "aws:"
_SYMBOLS = frozenset("_.:/=+-@")
ALLOWED = "letters, digits, spaces and _ . : / = + - @"


def _disallowed(text: str) -> tuple[int, str] | None:
    """(1-based position, character) of the first character AWS's tag pattern refuses."""
    for index, char in enumerate(text):
        if char in _SYMBOLS:
            continue
        category = unicodedata.category(char)
        if category[0] in "LN" or category == "Zs":
            continue
        return index + 1, char
    return None


def _refuse_characters(text: str, what: str) -> None:
    found = _disallowed(text)
    if found:
        position, char = found
        raise ValueError(f"character {char!r} (U+{ord(char):04X}) at position {position} is not "
                         f"allowed in a tag {what}; AWS allows {ALLOWED}")


def check_tag_key(key: str) -> str:
    if key.lower().startswith(AWS_PREFIX):
        raise ValueError("tag keys starting with 'aws:' are reserved for AWS's own tags")
    if key.startswith(RESERVED_PREFIX):
        raise ValueError(f"tag keys starting with {RESERVED_PREFIX!r} are reserved for obsctl's "
                         f"own tags ({', '.join(OBSCTL_TAGS)}), which it sets itself")
    _refuse_characters(key, "key")
    return key


def check_tag_value(value: str) -> str:
    _refuse_characters(value, "value")
    return value


TAG_LIMIT = (f"at most {MAX_USER_TAGS} tags: AWS allows {MAX_TAGS_PER_RESOURCE} per resource "
             f"and obsctl adds {len(OBSCTL_TAGS)} ({', '.join(OBSCTL_TAGS)})")


def check_tag_count(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > MAX_USER_TAGS:
        raise ValueError(f"{len(tags)} tags; {TAG_LIMIT}")
    return tags


def is_aws_tag_key(key: str) -> bool:
    """AWS's own tags (aws:cloudformation:stack-name, ...): nobody else may set or remove them."""
    return key.lower().startswith(AWS_PREFIX)


def is_reserved_tag_key(key: str) -> bool:
    """Tags the config never spells out: AWS's own and obsctl's own (import leaves them out)."""
    return is_aws_tag_key(key) or key.startswith(RESERVED_PREFIX)


TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128),
                   AfterValidator(check_tag_key)]
TagValue = Annotated[str, StringConstraints(max_length=256), AfterValidator(check_tag_value)]
Tags = Annotated[dict[TagKey, TagValue], AfterValidator(check_tag_count),
                 Field(json_schema_extra={"maxProperties": MAX_USER_TAGS})]
