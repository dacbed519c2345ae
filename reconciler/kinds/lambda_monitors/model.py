"""The `lambda_monitors` config entry, and the alarms it expands into for one function."""

from __future__ import annotations

import fnmatch
import glob
import re
from typing import Annotated, Union

from pydantic import (AfterValidator, Discriminator, Field, StringConstraints, Tag, ValidationError,
                      WithJsonSchema, model_validator)

from reconciler.config.fields import Actions, MetricRef, Period, StrictModel, Tags
from reconciler.kinds.alarms import AlarmConfig
from reconciler.kinds.common import as_number

LAMBDA_NAMESPACE = "AWS/Lambda"
INSIGHTS_NAMESPACE = "LambdaInsights"
# CreateFunction FunctionName, the name form (ListFunctions returns names): 1-64 characters.
FUNCTION_NAME = r"[a-zA-Z0-9_-]{1,64}"
# fnmatch wildcards over the function name alphabet: * ? and [classes].
_GLOB = re.compile(r"([A-Za-z0-9_*?-]|\[!?[A-Za-z0-9_-]+\])+")
# Alarm name suffixes whose metrics only Lambda Insights publishes.
INSIGHTS_SUFFIXES = ("memory-utilization", "init-duration")


def check_glob(pattern: str) -> str:
    if not _GLOB.fullmatch(pattern):
        raise ValueError(f"function pattern {pattern!r} may hold letters, digits, '-', '_' and "
                         "the wildcards * ? [...] (function names are letters, digits, '-' and '_')")
    return pattern


FunctionName = Annotated[str, StringConstraints(pattern=f"^{FUNCTION_NAME}$")]
FunctionGlob = Annotated[str, StringConstraints(max_length=255), AfterValidator(check_glob),
                         WithJsonSchema({"type": "string", "pattern": f"^{_GLOB.pattern}$"})]
MonitorName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,128}$")]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Percent = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=1)]


class FunctionMatch(StrictModel):
    match: FunctionGlob
    """Glob over function names (`*`, `?`, `[...]`): every matching Lambda function is monitored."""


def _functions_form(value) -> str | None:
    """Which form `functions` is written in, so errors come from that form only."""
    if isinstance(value, (dict, FunctionMatch)):
        return "FunctionMatch"
    return "FunctionNames" if isinstance(value, list) else None


Functions = Annotated[
    Union[Annotated[FunctionMatch, Tag("FunctionMatch")],
          Annotated[list[FunctionName], Field(min_length=1), Tag("FunctionNames")]],
    Discriminator(_functions_form, custom_error_type="functions_form",
                  custom_error_message='give {match: "<glob>"} or a list of function names')]


class LambdaMonitorConfig(StrictModel):
    """Standard alarms (error rate, duration, throttles, concurrency, Lambda Insights memory and init duration) for Lambda functions serving inference."""

    functions: Functions
    """Lambda functions to monitor: a list of names, or `{match: GLOB}`."""
    error_rate_percent: Percent | None = None
    """Alarm when Errors exceed this percentage of Invocations (100 * Errors / Invocations, Sums)."""
    duration_p90_ms: Positive | None = None
    """Alarm when p90 Duration exceeds this many milliseconds."""
    throttles: Count | None = None
    """Alarm when a period has at least this many throttled invocations (Throttles, Sum)."""
    concurrent_executions: Count | None = None
    """Alarm when the function's ConcurrentExecutions (Maximum) reaches this many."""
    memory_utilization_percent: Percent | None = None
    """Alarm when Lambda Insights memory_utilization (Maximum) exceeds this percentage; only for functions with the Lambda Insights extension layer (the plan names the others)."""
    init_duration_ms: Positive | None = None
    """Alarm when Lambda Insights init_duration (Maximum, cold starts) exceeds this many milliseconds; only for functions with the Lambda Insights extension layer."""
    period: Period = 60
    """Length of one datapoint in seconds for the generated alarms; default 60."""
    evaluation_periods: Annotated[int, Field(ge=1)] = 3
    """Number of periods the generated alarms evaluate; default 3."""
    actions: Actions = Actions()
    """Actions of the generated alarms on each state change."""
    tags: Tags = {}
    """Tags of the generated alarms, added to the stack's tags."""

    @model_validator(mode="after")
    def _monitors_something(self):
        if not alarm_configs(self, "function", insights=True):
            raise ValueError("monitors nothing: set a threshold (error_rate_percent, "
                             "duration_p90_ms, throttles, ...)")
        return self

    @property
    def wants_insights(self) -> bool:
        return self.memory_utilization_percent is not None or self.init_duration_ms is not None


def alarm_configs(config: LambdaMonitorConfig, function: str, insights: bool
                  ) -> dict[str, AlarmConfig]:
    """The alarms kind's entry model for each alarm of one function, by name suffix; the
    Lambda Insights ones only when the function has the extension (`insights`).

    Building them through AlarmConfig also validates them: the config model calls this with
    a placeholder function, so a bad combination (a too long evaluation window) is a
    validation error, not a plan-time one. No traffic publishes no datapoints: that is no
    failure, so every alarm treats missing data as not breaching."""
    def metric(name: str, stat: str) -> MetricRef:
        return MetricRef(namespace=LAMBDA_NAMESPACE, name=name, stat=stat,
                         dimensions={"FunctionName": function})

    def insights_metric(name: str) -> MetricRef:
        return MetricRef(namespace=INSIGHTS_NAMESPACE, name=name, stat="Maximum",
                         dimensions={"function_name": function})

    def alarm(**fields) -> AlarmConfig:
        try:
            return AlarmConfig(period=config.period, evaluation_periods=config.evaluation_periods,
                               actions=config.actions, tags=config.tags,
                               treat_missing_data="notBreaching", **fields)
        except ValidationError as error:
            raise ValueError("; ".join(problem["msg"] for problem in error.errors())) from None

    where = f"Lambda function {function}"
    alarms = {}
    if config.error_rate_percent is not None:
        alarms["error-rate"] = alarm(
            description=f"error rate of {where} above {as_number(config.error_rate_percent)} %",
            expression="100 * errors / invocations",
            metrics={"errors": metric("Errors", "Sum"), "invocations": metric("Invocations", "Sum")},
            comparison=">", threshold=config.error_rate_percent)
    if config.duration_p90_ms is not None:
        alarms["duration-p90"] = alarm(
            description=f"p90 duration of {where} above {as_number(config.duration_p90_ms)} ms",
            metric=metric("Duration", "p90"), comparison=">", threshold=config.duration_p90_ms)
    if config.throttles is not None:
        alarms["throttles"] = alarm(
            description=f"{where} throttled at least {config.throttles} times in a period",
            metric=metric("Throttles", "Sum"), comparison=">=", threshold=config.throttles)
    if config.concurrent_executions is not None:
        alarms["concurrent-executions"] = alarm(
            description=f"concurrent executions of {where} at {config.concurrent_executions} or more",
            metric=metric("ConcurrentExecutions", "Maximum"), comparison=">=",
            threshold=config.concurrent_executions)
    if insights and config.memory_utilization_percent is not None:
        alarms["memory-utilization"] = alarm(
            description=(f"memory utilization of {where} above "
                         f"{as_number(config.memory_utilization_percent)} % (Lambda Insights)"),
            metric=insights_metric("memory_utilization"), comparison=">",
            threshold=config.memory_utilization_percent)
    if insights and config.init_duration_ms is not None:
        alarms["init-duration"] = alarm(
            description=(f"init duration of {where} above {as_number(config.init_duration_ms)} ms "
                         "(Lambda Insights)"),
            metric=insights_metric("init_duration"), comparison=">",
            threshold=config.init_duration_ms)
    return alarms


def suffixes(config: LambdaMonitorConfig) -> list[str]:
    """The name suffixes of the alarms `config` may generate for a function."""
    return list(alarm_configs(config, "function", insights=True))


def function_globs(config: LambdaMonitorConfig) -> list[str]:
    """`fnmatch` globs of the functions a monitor may match."""
    if isinstance(config.functions, FunctionMatch):
        return [config.functions.match]
    return [glob.escape(name) for name in config.functions]


def matches(config: LambdaMonitorConfig, function: str) -> bool:
    if isinstance(config.functions, FunctionMatch):
        return fnmatch.fnmatchcase(function, config.functions.match)
    return function in config.functions


def may_name_alarm(config: LambdaMonitorConfig, name: str) -> bool:
    """Is `name` an alarm `config` generates for some function it may discover: `<function>-
    <suffix>` with a function it matches and a suffix it generates? (Composite rules and alarm
    widgets naming one are checked at plan time, once the functions are known.)"""
    for suffix in suffixes(config):
        function = name.removesuffix(f"-{suffix}")
        if function != name and re.fullmatch(FUNCTION_NAME, function) and matches(config, function):
            return True
    return False
