"""Lambda through plain boto3: AWS's Lambda Insights extension layers are accepted."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/lambda"
INSIGHTS_X86 = "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:53"
INSIGHTS_ARM = "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:20"


def code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture
def lam(emu_client):
    emu_client("iam").create_role(RoleName="lambda", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    return emu_client("lambda")


def create(lam, name: str, **extra):
    return lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="handler.handler",
                               Code={"ZipFile": code()}, **extra)


def test_insights_layer_on_create_and_update_shows_in_get_and_list(lam):
    create(lam, "scorer", Layers=[INSIGHTS_X86])
    assert [layer["Arn"] for layer in lam.get_function(FunctionName="scorer")["Configuration"]["Layers"]] == [INSIGHTS_X86]
    create(lam, "scorer-arm", Architectures=["arm64"])
    lam.update_function_configuration(FunctionName="scorer-arm", Layers=[INSIGHTS_ARM])
    listed = {f["FunctionName"]: [layer["Arn"] for layer in f.get("Layers", [])]
              for f in lam.list_functions()["Functions"]}
    assert listed == {"scorer": [INSIGHTS_X86], "scorer-arm": [INSIGHTS_ARM]}


def test_other_unknown_layers_and_other_regions_are_still_refused(lam):
    with pytest.raises(ClientError):
        create(lam, "f1", Layers=["arn:aws:lambda:us-east-1:111111111111:layer:Nope:1"])
    with pytest.raises(ClientError):
        create(lam, "f2", Layers=["arn:aws:lambda:eu-west-1:580247275435:layer:LambdaInsightsExtension:53"])
    assert lam.list_functions()["Functions"] == []



def test_regions_with_their_own_publishing_account_take_that_account_s_layers(lam, emu):
    """me-south-1's Lambda Insights layers come from 285320876703, not 580247275435: the
    emulator takes that Region's publisher only, as AWS does."""
    bahrain = boto3.client("lambda", endpoint_url=emu.endpoint_url, region_name="me-south-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    own = "arn:aws:lambda:me-south-1:285320876703:layer:LambdaInsightsExtension:53"
    create(bahrain, "scorer", Layers=[own])
    [layer] = bahrain.get_function(FunctionName="scorer")["Configuration"]["Layers"]
    assert layer["Arn"] == own
    with pytest.raises(ClientError):
        create(bahrain, "scorer-2", Layers=[own.replace("285320876703", "580247275435")])


def test_the_emulator_and_obsctl_know_the_same_publishing_accounts():
    """Two readings of the same AWS table (the emulator's, obsctl's detection): they agree."""
    from reconciler.emulator import awslambda
    from reconciler.kinds.lambda_monitors import insights
    assert awslambda.PUBLISHERS == insights.REGION_PUBLISHERS
    assert awslambda.DEFAULT_PUBLISHER == insights.DEFAULT_PUBLISHER
