"""Assumed-role credentials are renewed before they expire (botocore's refreshable credentials
with AssumeRole as the refresh), so a paced apply of thousands of alarms outlives one role
session; the stack's `role_external_id` and `role_duration_seconds` reach STS."""

from __future__ import annotations

import re
import sys
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

from botocore.credentials import RefreshableCredentials

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from faultproxy import Fault, FaultProxy, ProxiedRequest  # noqa: E402
from helpers import assert_converged  # noqa: E402

from reconciler.aws import AwsContext, refresh_windows  # noqa: E402

ROLE = "arn:aws:iam::123456789012:role/obsctl-deploy"
CONFIG = f"""
stack: assumed
role_arn: {ROLE}
role_external_id: ci-7f3a
role_duration_seconds: 900
alarms:
""" + "".join(f"""  latency-{i}:
    metric: {{namespace: ML/Serving, name: Latency, stat: Average, period: 60}}
    when: "> {100 + i}"
""" for i in range(12))


def assume_role_requests(seen: list[dict], expires_in: int | None = None):
    """A proxy rule recording every AssumeRole request's parameters; with `expires_in`, its
    answer says the credentials expire that many seconds from now (a session about to end)."""
    def rule(request: ProxiedRequest):
        if request.operation != "AssumeRole":
            return None
        seen.append({k: v[0] for k, v in urllib.parse.parse_qs(request.body.decode()).items()})
        if expires_in is None:
            return None
        expiry = (datetime.now(timezone.utc) + timedelta(seconds=expires_in))
        stamp = f"<Expiration>{expiry:%Y-%m-%dT%H:%M:%SZ}</Expiration>".encode()
        return Fault("short-session", forward_first=True,
                     rewrite=lambda body: re.sub(rb"<Expiration>[^<]*</Expiration>", stamp, body))
    return rule


def test_one_session_serves_the_whole_apply(aws, boto, obsctl, write_config):
    """A 15-minute session is assumed once: botocore's own refresh windows (15/10 minutes
    before expiry) would assume the role again before every request."""
    path = write_config(CONFIG)
    seen: list[dict] = []
    with FaultProxy(aws.endpoint_url, fault_rate=0, rules=[assume_role_requests(seen)]) as proxy:
        applied = obsctl("apply", path, "--auto-approve", "--endpoint-url", proxy.endpoint_url)
    assert applied.exit_code == 0, applied.stderr[-3000:]
    assert applied.calls["sts.AssumeRole"] == 1 and len(seen) == 1
    assert seen[0]["RoleArn"] == ROLE and seen[0]["ExternalId"] == "ci-7f3a"
    assert seen[0]["DurationSeconds"] == "900" and seen[0]["RoleSessionName"] == "obsctl"
    # The writes were made as the role (CloudTrail's Username of an assumed role: the session).
    events = boto("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "obsctl"}])["Events"]
    assert {e["EventName"] for e in events} >= {"PutMetricAlarm"}
    assert_converged(obsctl, path)


def test_credentials_about_to_expire_are_renewed_with_assume_role(aws, obsctl, write_config):
    """STS answers sessions that end in 2 minutes, inside the renewal window of a 15-minute
    session: every use renews them, each time AssumeRole again with the same ExternalId and
    duration, and the apply goes through."""
    path = write_config(CONFIG)
    seen: list[dict] = []
    rule = assume_role_requests(seen, expires_in=120)
    with FaultProxy(aws.endpoint_url, fault_rate=0, rules=[rule]) as proxy:
        applied = obsctl("apply", path, "--auto-approve", "--endpoint-url", proxy.endpoint_url)
    assert applied.exit_code == 0, applied.stderr[-3000:]
    assert applied.calls["sts.AssumeRole"] == len(seen) > 10
    assert all(s["ExternalId"] == "ci-7f3a" and s["DurationSeconds"] == "900" for s in seen)
    assert "Apply complete: 12 created" in applied.stdout


def test_the_role_credentials_are_refreshable(aws):
    context = AwsContext.create(region="us-east-1", role_arn=ROLE, role_external_id="ci-7f3a",
                                role_duration_seconds=900, endpoint_url=aws.endpoint_url)
    credentials = context.session.get_credentials()
    assert isinstance(credentials, RefreshableCredentials)
    assert credentials.method == "assume-role"
    assert not credentials.refresh_needed()  # a fresh 15-minute session
    assert credentials.refresh_needed(refresh_windows(900)[0] + 600)
    assert context.scope.account_id == "123456789012"
    assert context.stats.calls["sts.AssumeRole"] == 1


def test_refresh_windows_fit_the_session():
    assert refresh_windows(3600) == (900, 600)  # botocore's defaults
    assert refresh_windows(43200) == (900, 600)
    assert refresh_windows(900) == (300, 150)
