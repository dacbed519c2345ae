"""Building blocks of the config models shared by several kinds.

Models are strict (no silent "5" -> 5 coercion) and forbid unknown keys, so a typo is an
error with a "did you mean" rather than a silently ignored field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StringConstraints,
                      WithJsonSchema)

# Re-exported: the kinds import it from here.
from reconciler.config.tags import Tags  # noqa: F401


class StrictModel(BaseModel):
    # Field docstrings become the JSON Schema descriptions editors show.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              use_attribute_docstrings=True)


# C0 and C1 control characters, DEL, and the Unicode line and paragraph separators: AWS refuses
# them in resource names, and printed they would move the cursor or split a plan's lines.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_CHARACTERS_PATTERN = "^[^\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]*$"  # for the JSON Schema


def check_no_control_characters(name: str) -> str:
    found = _CONTROL_CHARACTER.search(name)
    if found:
        raise ValueError(f"control character U+{ord(found.group()):04X} at position "
                         f"{found.start() + 1}: AWS refuses control characters (newlines, tabs, "
                         "escapes) in names")
    return name


def printable_name(max_length: int) -> Any:
    """A resource name type: 1 to `max_length` characters, no control characters."""
    return Annotated[str, StringConstraints(min_length=1, max_length=max_length),
                     AfterValidator(check_no_control_characters),
                     WithJsonSchema({"type": "string", "minLength": 1, "maxLength": max_length,
                                     "pattern": CONTROL_CHARACTERS_PATTERN})]


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
# A number AWS stores as a double: YAML's .inf and .nan, and 1e400 (which overflows), are not.
Finite = Annotated[float, Field(allow_inf_nan=False)]
Period = Annotated[int, Field(gt=0), AfterValidator(check_period)]
Unit = Literal[
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
]
AccountId = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$")]
Dimensions = Annotated[dict[Annotated[str, StringConstraints(min_length=1, max_length=255)],
                            Annotated[str, StringConstraints(min_length=1, max_length=1024)]],
                       Field(max_length=30)]


class MetricRef(StrictModel):
    """One CloudWatch metric with the statistic to take over a period."""

    namespace: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    """CloudWatch namespace of the metric, e.g. AWS/SageMaker."""
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    """Name of the metric within its namespace, e.g. ModelLatency."""
    dimensions: Dimensions = {}
    """Dimensions that select the metric's series (name: value); default none."""
    stat: Statistic = "Average"
    """Statistic: Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p90; default Average."""
    period: Period | None = None
    """Length of one datapoint in seconds (10, 30 or a multiple of 60); default the alarm's or widget's period."""
    unit: Unit | None = None
    """CloudWatch unit the metric is published in; default any unit."""
    account_id: AccountId | None = None  # cross-account metric (math alarms, dashboards)
    """12-digit AWS account the metric lives in, for cross-account alarms and dashboards; default this account."""


# An action is a reference (`topic:NAME`, `scaling:NAME`) or a raw ARN.
ActionRef = Annotated[str, StringConstraints(pattern=r"^(topic:|scaling:|arn:)\S+$")]
ActionList = Annotated[list[ActionRef], Field(max_length=5)]  # AWS: at most 5 per state


class Actions(StrictModel):
    alarm: ActionList = []
    """Actions when the state becomes ALARM: `topic:NAME`, `scaling:NAME` or an ARN."""
    ok: ActionList = []
    """Actions when the state becomes OK: `topic:NAME`, `scaling:NAME` or an ARN."""
    insufficient_data: ActionList = []
    """Actions when the state becomes INSUFFICIENT_DATA: `topic:NAME`, `scaling:NAME` or an ARN."""
