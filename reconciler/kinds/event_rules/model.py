"""The `event_rules` config: one EventBridge rule, its pattern and targets.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from reconciler.config.fields import StrictModel, Tags


MAX_PATTERN_LENGTH = 4096  # PutRule EventPattern


MAX_TARGETS = 5  # targets per rule (EventBridge quota)


DEFAULT_BUS = "default"


TARGET_ID = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")  # PutTargets Target.Id


_NOT_IN_ID = re.compile(r"[^.\-_A-Za-z0-9]")


RuleName = Annotated[str, StringConstraints(pattern=r"^[.\-_A-Za-z0-9]{1,64}$")]


BusName = Annotated[str, StringConstraints(pattern=r"^[/.\-_A-Za-z0-9]{1,256}$")]


TargetRef = Annotated[str, StringConstraints(pattern=r"^(topic:|arn:)\S+$")]


class EventRuleConfig(StrictModel):
    """An EventBridge rule sending matching events to SNS topics or other targets."""

    pattern: dict[str, Any]
    """EventBridge event pattern the rule matches."""
    targets: Annotated[list[TargetRef], Field(min_length=1, max_length=MAX_TARGETS)]
    """Where matching events go: `topic:NAME` or an ARN."""
    description: Annotated[str, StringConstraints(max_length=512)] | None = None
    """Rule description (up to 512 characters)."""
    enabled: bool = True
    """Whether the rule matches events; default true."""
    event_bus: BusName = DEFAULT_BUS
    """Event bus of the rule; default the account's default bus."""
    tags: Tags = {}
    """Tags of this rule, added to the stack's tags."""
