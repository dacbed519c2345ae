"""Lambda: AWS's published Lambda Insights extension layers.

moto 5.2.5 refuses every layer version it did not publish itself (UnknownLayerVersionException),
so a function could not use the Lambda Insights extension that AWS publishes from its own
account 580247275435 (``arn:aws:lambda:REGION:580247275435:layer:LambdaInsightsExtension:N`` and
``...:LambdaInsightsExtension-Arm64:N`` for arm64, per the CloudWatch user guide's list of
Lambda Insights extension versions). Those ARNs are accepted here on CreateFunction and
UpdateFunctionConfiguration when the layer's Region is the function's, and show in
GetFunction/ListFunctions. Their CodeSize reads 0: the emulator holds no layer content.
"""

from __future__ import annotations

import re
from typing import Any

from moto.awslambda.models import LambdaFunction

from ._common import original, patch

_INSIGHTS_LAYER = re.compile(
    r"^arn:aws:lambda:(?P<region>[a-z0-9-]+):580247275435:layer:LambdaInsightsExtension(?:-Arm64)?:[1-9]\d*$"
)


def _is_insights_layer(function: LambdaFunction, arn: str) -> bool:
    match = _INSIGHTS_LAYER.match(arn)
    return bool(match) and match.group("region") == function.region


def _get_layers_data(self: LambdaFunction, layers_versions_arns: list[str]) -> list[dict[str, Any]]:
    others = [arn for arn in layers_versions_arns if not _is_insights_layer(self, arn)]
    resolved = iter(original(LambdaFunction, "_get_layers_data")(self, others) if others else [])
    return [{"Arn": arn, "CodeSize": 0} if _is_insights_layer(self, arn) else next(resolved)
            for arn in layers_versions_arns]


def install() -> None:
    patch(LambdaFunction, "_get_layers_data", _get_layers_data)
