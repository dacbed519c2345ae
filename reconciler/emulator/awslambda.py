"""Lambda: AWS's published Lambda Insights extension layers.

moto 5.2.5 refuses every layer version it did not publish itself (UnknownLayerVersionException),
so a function could not use the Lambda Insights extension that AWS publishes from its own
accounts (``arn:aws:lambda:REGION:ACCOUNT:layer:LambdaInsightsExtension:N`` and
``...:LambdaInsightsExtension-Arm64:N`` for arm64, per the CloudWatch user guide's list of
Lambda Insights extension versions: ACCOUNT is 580247275435 in most Regions, and one of the
Region's own in those of PUBLISHERS). Those ARNs are accepted here on CreateFunction and
UpdateFunctionConfiguration when the layer's Region is the function's and its account that
Region's publisher, and show in GetFunction/ListFunctions. Their CodeSize reads 0: the
emulator holds no layer content.
"""

from __future__ import annotations

import re
from typing import Any

from moto.awslambda.models import LambdaFunction

from ._common import original, patch

DEFAULT_PUBLISHER = "580247275435"
# Regions whose layers AWS publishes from an account of their own (the user guide's tables).
PUBLISHERS = {
    "af-south-1": "012438385374", "ap-east-1": "519774774795", "ap-northeast-3": "194566237122",
    "ap-south-2": "891564319516", "ap-southeast-3": "439286490199",
    "cn-north-1": "488211338238", "cn-northwest-1": "488211338238",
    "eu-central-2": "033019950311", "eu-south-1": "339249233099", "eu-south-2": "352183217350",
    "il-central-1": "459530977127", "me-central-1": "732604637566", "me-south-1": "285320876703",
}
_INSIGHTS_LAYER = re.compile(
    r"^arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"layer:LambdaInsightsExtension(?:-Arm64)?:[1-9]\d*$")


def _is_insights_layer(function: LambdaFunction, arn: str) -> bool:
    match = _INSIGHTS_LAYER.match(arn)
    return bool(match) and match["region"] == function.region and (
        match["account"] == PUBLISHERS.get(function.region, DEFAULT_PUBLISHER))


def _get_layers_data(self: LambdaFunction, layers_versions_arns: list[str]) -> list[dict[str, Any]]:
    others = [arn for arn in layers_versions_arns if not _is_insights_layer(self, arn)]
    resolved = iter(original(LambdaFunction, "_get_layers_data")(self, others) if others else [])
    return [{"Arn": arn, "CodeSize": 0} if _is_insights_layer(self, arn) else next(resolved)
            for arn in layers_versions_arns]


def install() -> None:
    patch(LambdaFunction, "_get_layers_data", _get_layers_data)
