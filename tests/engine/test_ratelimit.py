"""The rate limiter with a fake clock (no timed assertions), and its wiring into clients."""

from __future__ import annotations

from reconciler import ratelimit
from reconciler.aws import AwsContext


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_bucket_allows_a_burst_then_paces_to_the_rate():
    clock = FakeClock()
    bucket = ratelimit.TokenBucket(rate=3, clock=clock, sleep=clock.sleep)
    waits = [bucket.take() for _ in range(9)]
    assert waits[:3] == [0, 0, 0]
    assert all(abs(w - 1 / 3) < 1e-9 for w in waits[3:])
    assert abs(clock.now - 2.0) < 1e-9  # 9 requests at 3/s after a burst of 3: 2 s


def test_bucket_refills_while_idle():
    clock = FakeClock()
    bucket = ratelimit.TokenBucket(rate=10, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        bucket.take()
    clock.now += 5  # idle: the bucket is full again, but never beyond its capacity
    assert [bucket.take() for _ in range(10)] == [0] * 10
    assert bucket.take() > 0


def test_limits_default_to_aws_only(monkeypatch):
    monkeypatch.delenv("OBSCTL_RATE_LIMITS", raising=False)
    assert ratelimit.enabled(None) is True
    assert ratelimit.enabled("http://127.0.0.1:5000") is False
    monkeypatch.setenv("OBSCTL_RATE_LIMITS", "aws")
    assert ratelimit.enabled("http://127.0.0.1:5000") is True
    monkeypatch.setenv("OBSCTL_RATE_LIMITS", "off")
    assert ratelimit.enabled(None) is False


def test_paced_operations_share_one_bucket_per_region(aws, monkeypatch):
    monkeypatch.setenv("OBSCTL_RATE_LIMITS", "aws")
    taken = []
    monkeypatch.setattr(ratelimit.TokenBucket, "take", lambda self: taken.append(self.rate) or 0.0)
    first = AwsContext.create(region="us-east-1", endpoint_url=aws.endpoint_url)
    second = AwsContext.create(region="us-east-1", endpoint_url=aws.endpoint_url)
    first.client("cloudwatch").describe_alarms()
    second.client("cloudwatch").describe_alarms()
    first.client("sns").list_topics()  # no published quota: not paced
    assert taken == [9, 9]
    key = ((aws.endpoint_url, "aws", "123456789012", "us-east-1"), "cloudwatch.DescribeAlarms")
    assert key in ratelimit._buckets
