"""`obsctl import`: a comparable form back to the `alarms` entry a person would write.
"""

from __future__ import annotations

import re

from reconciler.kinds.alarms.model import (_ACTION_STATES, ANOMALY_BAND_ID, ANOMALY_METRIC_ID,
                                           BAND_COMPARISONS, COMPARISONS)
from reconciler.kinds.common import as_number, present


_SYMBOLS = {name: symbol for symbol, name in COMPARISONS.items()}


_BAND_DIRECTIONS = {name: direction for direction, name in BAND_COMPARISONS.items()}


_BAND = re.compile(rf"^ANOMALY_DETECTION_BAND\({ANOMALY_METRIC_ID},\s*([0-9.]+)\)$")


def _metric_ref(entry: dict, stat_key: str = "stat") -> dict:
    return present({"namespace": entry["namespace"], "name": entry["metric_name"],
                     "dimensions": entry.get("dimensions") or None, "stat": entry[stat_key],
                     "period": entry.get("period"), "unit": entry.get("unit"),
                     "account_id": entry.get("account_id")})


def _metric_config(spec: dict) -> dict:
    """metric / metrics + expression / anomaly_band / query, the way AlarmConfig spells them."""
    if "query" in spec:
        return present({"query": spec["query"], "period": spec.get("period")})
    if "metrics" not in spec:
        stat = "extended_statistic" if "extended_statistic" in spec else "statistic"
        return {"metric": _metric_ref({**spec, "stat": spec[stat]})}
    by_id = {entry["id"]: entry for entry in spec["metrics"]}
    band = _BAND.match(by_id.get(ANOMALY_BAND_ID, {}).get("expression", ""))
    if band and ANOMALY_METRIC_ID in by_id:
        return {"metric": _metric_ref(by_id[ANOMALY_METRIC_ID]),
                "anomaly_band": {"deviations": as_number(float(band.group(1))),
                                 "direction": _BAND_DIRECTIONS[spec["comparison"]]}}
    returning = _returning_expression(spec["metrics"])
    expression = by_id.pop(returning["id"])["expression"]
    return {"expression": expression,
            "metrics": {query_id: _metric_ref(entry) for query_id, entry in by_id.items()}}


def _returning_expression(metrics: list[dict]) -> dict | None:
    return next((entry for entry in metrics if entry.get("return_data") and "expression" in entry),
                None)


def inexpressible(spec: dict) -> str | None:
    """Why the alarm of comparable form `spec` has no `alarms` entry, if it has none: metric
    math over a Metrics Insights query or over another expression (AWS takes both)."""
    if "metrics" not in spec or spec.get("threshold_metric_id"):
        return None
    returning = _returning_expression(spec["metrics"])
    if returning is None:
        return "its metric data queries have no expression returning data"
    inner = [entry["id"] for entry in spec["metrics"]
             if entry is not returning and "expression" in entry]
    if inner:
        return (f"its metric math reads the result of another expression or Metrics Insights "
                f"query ({', '.join(inner)}); `alarms` entries have one expression over "
                "`metrics`, or one `query`")
    return None


def alarm_config(spec: dict, tags: dict[str, str], refs) -> dict:
    """The `alarms` entry for a comparable form: short forms, AWS defaults left out."""
    entry = present({"description": spec.get("description")}) | _metric_config(spec)
    if "threshold" in spec:
        symbol = _SYMBOLS.get(spec["comparison"])
        entry.update({"when": f"{symbol} {spec['threshold']}"} if symbol else
                     {"comparison": spec["comparison"], "threshold": spec["threshold"]})
    evaluation_periods = spec.get("evaluation_periods", 1)
    if evaluation_periods != 1:
        entry["evaluation_periods"] = evaluation_periods
    if spec.get("datapoints_to_alarm", evaluation_periods) != evaluation_periods:
        entry["datapoints_to_alarm"] = spec["datapoints_to_alarm"]
    if spec.get("treat_missing_data", "missing") != "missing":
        entry["treat_missing_data"] = spec["treat_missing_data"]
    if spec.get("evaluate_low_sample_count_percentile"):
        entry["evaluate_low_sample_count_percentile"] = spec["evaluate_low_sample_count_percentile"]
    actions = {state: [refs.action(arn) for arn in spec.get(field, [])]
               for state, field, _ in _ACTION_STATES if spec.get(field)}
    if actions:
        entry["actions"] = actions
    if spec.get("actions_enabled") is False:
        entry["actions_enabled"] = False
    if tags:
        entry["tags"] = tags
    return entry
