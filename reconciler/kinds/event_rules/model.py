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
    pattern: dict[str, Any]
    targets: Annotated[list[TargetRef], Field(min_length=1, max_length=MAX_TARGETS)]
    description: Annotated[str, StringConstraints(max_length=512)] | None = None
    enabled: bool = True
    event_bus: BusName = DEFAULT_BUS
    tags: Tags = {}
