"""Subscription filters without AWS: validation and both sides of the comparable form."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reconciler.kinds.subscription_filters import (SubscriptionFilterConfig, comparable_filter,
                                                   destination_service, log_group_of)

ROLE = "arn:aws:iam::123456789012:role/cwl"


@pytest.mark.parametrize("arn, service", [
    ("arn:aws:kinesis:us-east-1:123456789012:stream/logs", "kinesis"),
    ("arn:aws:firehose:eu-west-1:123456789012:deliverystream/archive", "firehose"),
    ("arn:aws:lambda:us-east-1:123456789012:function:ship-logs", "lambda"),
    ("arn:aws:lambda:us-east-1:123456789012:function:ship-logs:live", "lambda"),
    ("arn:aws:logs:us-east-1:111111111111:destination:central", "logs"),
    ("arn:aws-cn:kinesis:cn-north-1:123456789012:stream/logs", "kinesis"),
])
def test_destination_kinds(arn, service):
    assert destination_service(arn) == service


@pytest.mark.parametrize("arn", [
    "arn:aws:sns:us-east-1:123456789012:topic",
    "arn:aws:s3:::bucket",
    "arn:aws:kinesis:us-east-1:123456789012:deliverystream/x",
    "arn:aws:lambda:us-east-1:12345:function:f",
    "firehose:archive",
])
def test_other_arns_are_not_destinations(arn):
    with pytest.raises(ValidationError, match="is not a subscription destination"):
        SubscriptionFilterConfig(pattern="", destination_arn=arn, role_arn=ROLE)


def test_role_is_required_for_streams_and_refused_for_lambda():
    with pytest.raises(ValidationError, match="a firehose destination needs `role_arn`"):
        SubscriptionFilterConfig(pattern="", destination_arn=
                                 "arn:aws:firehose:us-east-1:123456789012:deliverystream/a")
    with pytest.raises(ValidationError, match="a Lambda destination takes no `role_arn`"):
        SubscriptionFilterConfig(pattern="", role_arn=ROLE, destination_arn=
                                 "arn:aws:lambda:us-east-1:123456789012:function:f")


def test_distribution_defaults_to_what_aws_reports_and_pattern_is_trimmed():
    desired = comparable_filter("/g", " ERROR ", "arn:d", None, None)
    live = comparable_filter("/g", "ERROR", "arn:d", None, "ByLogStream")
    assert desired == live == {"log_group": "/g", "pattern": "ERROR", "destination_arn": "arn:d",
                               "distribution": "ByLogStream"}
    assert comparable_filter("/g", "", "arn:d", ROLE, "Random")["role_arn"] == ROLE


def test_log_group_of_both_arn_forms():
    assert log_group_of("arn:aws:logs:us-east-1:123456789012:log-group:/a/b:*") == "/a/b"
    assert log_group_of("arn:aws:logs:us-east-1:123456789012:log-group:/a/b") == "/a/b"
