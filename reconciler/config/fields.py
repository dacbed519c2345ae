"""Building blocks of the config models shared by several kinds.

Models are strict (no silent "5" -> 5 coercion) and forbid unknown keys, so a typo is an
error with a "did you mean" rather than a silently ignored field.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

OWNER_TAG = "obsctl:stack"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# AWS statistic names; percentiles and trimmed statistics become ExtendedStatistic.
SIMPLE_STATISTICS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount")
_EXTENDED = re.compile(r"^(p|tm|tc|ts|wm|pr|tc)(\d{1,2}(\.\d{1,10})?|100)$|^(TM|TC|TS|WM|PR)\(.+\)$")


def check_statistic(value: str) -> str:
    if value in SIMPLE_STATISTICS or _EXTENDED.match(value):
        return value
    raise ValueError(
        f"unknown statistic {value!r}: use one of {', '.join(SIMPLE_STATISTICS)}, "
        "a percentile like p90 or p99.9, or tm90/wm90/tc90/ts90"
    )


def is_extended_statistic(value: str) -> bool:
    return value not in SIMPLE_STATISTICS


def check_period(value: int) -> int:
    # CloudWatch accepts high-resolution periods 10, 20, 30 (and 1, 5 for high-res metrics
    # in math alarms only); standard periods must be multiples of 60.
    if value in (10, 20, 30) or (value >= 60 and value % 60 == 0):
        return value
    raise ValueError(f"period {value} is not 10, 20, 30 or a multiple of 60")


Statistic = Annotated[str, AfterValidator(check_statistic)]
Period = Annotated[int, Field(gt=0), AfterValidator(check_period)]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128)]
TagValue = Annotated[str, StringConstraints(max_length=256)]
Tags = Annotated[dict[TagKey, TagValue], Field(max_length=50)]
Unit = Literal[
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
]
AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]
Dimensions = Annotated[dict[Annotated[str, StringConstraints(min_length=1, max_length=255)],
                            Annotated[str, StringConstraints(min_length=1, max_length=1024)]],
                       Field(max_length=30)]


class MetricRef(StrictModel):
    """One CloudWatch metric with the statistic to take over a period."""

    namespace: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    dimensions: Dimensions = {}
    stat: Statistic = "Average"
    period: Period | None = None
    unit: Unit | None = None
    account_id: AccountId | None = None  # cross-account metric (math alarms, dashboards)


# An action is a reference (`topic:NAME`, `scaling:NAME`) or a raw ARN.
ActionRef = Annotated[str, StringConstraints(pattern=r"^(topic:|scaling:|arn:)\S+$")]
ActionList = Annotated[list[ActionRef], Field(max_length=5)]  # AWS: at most 5 per state


class Actions(StrictModel):
    alarm: ActionList = []
    ok: ActionList = []
    insufficient_data: ActionList = []
