"""IAM enforcement on an emulator of a test's own (never the shared one: enforcement is global
to a server): users with a given policy, created while enforcement is off."""

from __future__ import annotations

import json
import urllib.request

import boto3

REGION = "us-east-1"
ADMIN = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def set_enforcement(endpoint_url: str, on: bool) -> None:
    """moto checks every request against the caller's policies from now on (or no longer)."""
    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset-auth",
                                     data=b"0" if on else b"inf", method="POST",
                                     # not a form: moto reads the raw body
                                     headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request) as answer:
        answer.read()


def user_with_policy(endpoint_url: str, name: str, document: dict) -> dict[str, str]:
    """Create IAM user `name` whose only permissions are `document`; its boto3 credentials.
    Call while enforcement is off."""
    iam = boto3.client("iam", region_name=REGION, endpoint_url=endpoint_url, **ADMIN)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="obsctl", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"],
            "aws_secret_access_key": key["SecretAccessKey"]}
