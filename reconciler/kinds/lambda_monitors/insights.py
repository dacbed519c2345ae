"""The one rule for "this function has the Lambda Insights extension", and how to enable it.

AWS publishes the extension as a Lambda layer from its own account in each Region (CloudWatch
user guide, "Available versions of the Lambda Insights extension", x86-64 and ARM64 tables):

    arn:PARTITION:lambda:REGION:ACCOUNT:layer:LambdaInsightsExtension:VERSION        x86-64
    arn:PARTITION:lambda:REGION:ACCOUNT:layer:LambdaInsightsExtension-Arm64:VERSION  arm64

ACCOUNT is 580247275435 in most Regions; the Regions below publish from an account of their
own. A layer is only usable by functions of its Region, so a function has the extension when
one of its layers (ListFunctions `Layers`) has this shape, its function's Region and that
Region's publishing account. Container image functions carry the extension inside the image
instead, where no API shows it: they count as without it.
"""

from __future__ import annotations

import re

DEFAULT_PUBLISHER = "580247275435"
# Regions whose Lambda Insights layers AWS publishes from another account than the default.
REGION_PUBLISHERS = {
    "af-south-1": "012438385374",
    "ap-east-1": "519774774795",
    "ap-northeast-3": "194566237122",
    "ap-south-2": "891564319516",
    "ap-southeast-3": "439286490199",
    "cn-north-1": "488211338238",
    "cn-northwest-1": "488211338238",
    "eu-central-2": "033019950311",
    "eu-south-1": "339249233099",
    "eu-south-2": "352183217350",
    "il-central-1": "459530977127",
    "me-central-1": "732604637566",
    "me-south-1": "285320876703",
}
LAYER_NAMES = ("LambdaInsightsExtension", "LambdaInsightsExtension-Arm64")
EXECUTION_ROLE_POLICY = "CloudWatchLambdaInsightsExecutionRolePolicy"
_LAYER_VERSION_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"layer:(?P<layer>[A-Za-z0-9_-]+):[1-9][0-9]*")


def publisher(region: str) -> str:
    """The account AWS publishes the Lambda Insights layers of `region` from."""
    return REGION_PUBLISHERS.get(region, DEFAULT_PUBLISHER)


def is_insights_layer(arn: str, region: str) -> bool:
    """Is `arn` a version of AWS's Lambda Insights extension layer for functions of `region`?"""
    match = _LAYER_VERSION_ARN.fullmatch(arn)
    return bool(match) and (match["region"] == region and match["account"] == publisher(region)
                            and match["layer"] in LAYER_NAMES)


def has_insights(function: dict, region: str) -> bool:
    """Does a ListFunctions entry carry the Lambda Insights extension layer?"""
    return any(is_insights_layer(layer.get("Arn", ""), region)
               for layer in function.get("Layers") or [])


def how_to_enable(region: str, partition: str = "aws") -> str:
    """What the app's deployment changes to give a function Lambda Insights (obsctl never
    changes functions)."""
    layer = f"arn:{partition}:lambda:{region}:{publisher(region)}:layer:LambdaInsightsExtension"
    return (f"To enable Lambda Insights, the app's deployment adds the layer {layer}:<version> "
            "(LambdaInsightsExtension-Arm64 for arm64 functions; versions in the CloudWatch user "
            "guide, \"Available versions of the Lambda Insights extension\") and attaches the "
            f"managed policy {EXECUTION_ROLE_POLICY} to the function's execution role; obsctl "
            "does not change functions.")
