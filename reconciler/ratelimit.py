"""Client-side pacing of AWS APIs to their published per-account, per-region rates.

Without it, thousands of concurrent writes hit throttling and lean on retries; with it, each
operation stays under its quota and retries are left for the unexpected. Rates are from the
CloudWatch quota page (docs/aws-behaviour.md#rate-limits); Logs publishes no per-API table, so
its writes use the CreateLogGroup Service Quotas default (10/s).

Off by default against a custom endpoint (an emulator has no quotas); OBSCTL_RATE_LIMITS=aws
turns them on anywhere, OBSCTL_RATE_LIMITS=off turns them off.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Callable

# Requests per second, per account and region.
AWS_RATES: dict[str, float] = {
    "cloudwatch.DescribeAlarms": 9,
    "cloudwatch.PutMetricAlarm": 3,
    "cloudwatch.PutCompositeAlarm": 3,
    "cloudwatch.DeleteAlarms": 3,
    "cloudwatch.PutDashboard": 10,
    "cloudwatch.GetDashboard": 10,
    "cloudwatch.ListDashboards": 10,
    "cloudwatch.DeleteDashboards": 10,
    "cloudwatch.ListTagsForResource": 10,
    "cloudwatch.TagResource": 20,
    "cloudwatch.UntagResource": 20,
    "cloudwatch.PutAnomalyDetector": 10,
    "logs.CreateLogGroup": 10,
    "logs.PutRetentionPolicy": 10,
    "logs.DeleteRetentionPolicy": 10,
    "logs.PutMetricFilter": 10,
    "logs.DeleteMetricFilter": 10,
    "logs.DeleteLogGroup": 10,
    "logs.PutSubscriptionFilter": 10,
    "logs.DeleteSubscriptionFilter": 10,
    "logs.PutQueryDefinition": 10,
    "logs.DeleteQueryDefinition": 10,
    "cloudtrail.LookupEvents": 2,
}


class TokenBucket:
    """`rate` requests a second on average, bursts of up to `burst`; thread-safe."""

    def __init__(self, rate: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate, self.capacity = rate, burst if burst is not None else max(1.0, rate)
        self.tokens, self.clock, self.sleep = self.capacity, clock, sleep
        self.updated = clock()
        self.lock = threading.Lock()

    def take(self) -> float:
        """Wait until a request may go; returns how long it waited."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= 1
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait:
            self.sleep(wait)
        return wait


_buckets: dict[tuple, TokenBucket] = {}
_buckets_lock = threading.Lock()


def enabled(endpoint_url: str | None) -> bool:
    setting = os.environ.get("OBSCTL_RATE_LIMITS", "").lower()
    if setting in ("aws", "on"):
        return True
    if setting == "off":
        return False
    return endpoint_url is None


def bucket(scope: tuple, operation: str) -> TokenBucket | None:
    """The shared bucket of `operation` in `scope` (endpoint, partition, account id, region):
    every client and stack in one process that works in the same account and region shares
    the quota; other accounts and regions have their own."""
    rate = AWS_RATES.get(operation)
    if rate is None:
        return None
    with _buckets_lock:
        return _buckets.setdefault((scope, operation), TokenBucket(rate))
