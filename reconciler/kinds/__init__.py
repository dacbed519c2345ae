"""The one place kinds are registered. Order here is only for display; apply order comes
from each kind's `depends_on`."""

from __future__ import annotations

from reconciler.kinds.base import Kind


def _register(*kinds: Kind) -> dict[str, Kind]:
    registry: dict[str, Kind] = {}
    for kind in kinds:
        if kind.name in registry:
            raise RuntimeError(f"kind {kind.name!r} registered twice")
        registry[kind.name] = kind
    unknown = {d for k in kinds for d in k.depends_on} - set(registry)
    if unknown:
        raise RuntimeError(f"kinds depend on unregistered kinds: {sorted(unknown)}")
    return registry


def _load() -> dict[str, Kind]:
    from reconciler.kinds import (alarms, composite_alarms, dashboards, endpoint_monitors,
                                  event_rules, lambda_monitors, log_anomaly_detectors, log_groups,
                                  metric_filters, model_monitors, observability_links,
                                  observability_sinks, queries, scaling_policies,
                                  subscription_filters, topics)

    return _register(
        topics.Topics(),
        log_groups.LogGroups(),
        metric_filters.MetricFilters(),
        subscription_filters.SubscriptionFilters(),
        log_anomaly_detectors.LogAnomalyDetectors(),
        scaling_policies.ScalingPolicies(),
        event_rules.EventRules(),
        alarms.Alarms(),
        composite_alarms.CompositeAlarms(),
        dashboards.Dashboards(),
        queries.Queries(),
        model_monitors.ModelMonitors(),
        endpoint_monitors.EndpointMonitors(),
        lambda_monitors.LambdaMonitors(),
        observability_sinks.ObservabilitySinks(),
        observability_links.ObservabilityLinks(),
    )


KINDS: dict[str, Kind] = _load()


def apply_order(names) -> list[str]:
    """Kinds sorted so that every kind comes after the kinds it depends on."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise RuntimeError(f"dependency cycle through kind {name!r}")
        visiting.add(name)
        for dependency in KINDS[name].depends_on:
            visit(dependency)
        visiting.discard(name)
        ordered.append(name)

    for name in sorted(names, key=list(KINDS).index):
        visit(name)
    return [n for n in ordered if n in set(names)]
