"""Demo data for ``serve(seed=True)``: the SageMaker endpoints and Lambda functions the examples
monitor, and the S3 buckets they write to (``obsctl export-logs`` can export to LOG_EXPORT_BUCKET).

Created through the emulator's own API with boto3 (so it is exactly what a client would
see): for each endpoint a model, an endpoint config with one ``AllTraffic`` variant, and the
endpoint. moto marks endpoints InService at once. The prod endpoints capture their requests
and responses to S3 (DataCaptureConfig), as Model Monitor requires; staging does not. The
serverless inference functions (examples/ml-platform/serverless.yaml) are one with AWS's Lambda
Insights extension layer and one without, which the plan names."""

from __future__ import annotations

import io
import json
import zipfile

import boto3

ENDPOINTS = ("prod-churn", "prod-fraud", "staging-churn")
# Prod endpoints capture requests and responses (Model Monitor needs captured data); staging not.
DATA_CAPTURE_BUCKET = "obsctl-demo-data-capture"
REGION = "us-east-1"
# Any well-formed values: moto does not pull images or assume roles.
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/obsctl-demo:latest"
ROLE = "arn:aws:iam::123456789012:role/obsctl-demo-sagemaker"
LOG_ARCHIVE_BUCKET = "obsctl-demo-log-archive"
LOG_ARCHIVE_STREAM = "ml-platform-log-archive"
FIREHOSE_ROLE = "arn:aws:iam::123456789012:role/obsctl-demo-firehose"
LOG_EXPORT_BUCKET = "obsctl-demo-log-exports"
LAMBDA_ROLE_NAME = "obsctl-demo-lambda"
# Function name -> its layers: AWS's published Lambda Insights extension (x86-64), or none.
FUNCTIONS = {
    "infer-churn": [f"arn:aws:lambda:{REGION}:580247275435:layer:LambdaInsightsExtension:53"],
    "infer-fraud": [],
}


def seed(endpoint_url: str, region: str = REGION) -> list[str]:
    """Create the demo endpoints (idempotent); return their names."""
    sm = boto3.client(
        "sagemaker", endpoint_url=endpoint_url, region_name=region,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    existing = {e["EndpointName"] for e in sm.list_endpoints(MaxResults=100)["Endpoints"]}
    s3 = _s3(endpoint_url, region)
    if DATA_CAPTURE_BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=DATA_CAPTURE_BUCKET)
    for name in ENDPOINTS:
        if name in existing:
            continue
        sm.create_model(
            ModelName=f"{name}-model",
            PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://obsctl-demo/{name}/model.tar.gz"},
            ExecutionRoleArn=ROLE,
        )
        sm.create_endpoint_config(
            EndpointConfigName=f"{name}-config",
            ProductionVariants=[{
                "VariantName": "AllTraffic",
                "ModelName": f"{name}-model",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1.0,
            }],
            **({"DataCaptureConfig": data_capture_config(name)} if name.startswith("prod-") else {}),
        )
        sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    _seed_log_archive(endpoint_url, region)
    _seed_log_export_bucket(s3, region)
    if region == REGION:  # the Insights layer ARNs above are this Region's
        _seed_functions(endpoint_url, region)
    return list(ENDPOINTS)


def data_capture_config(endpoint: str) -> dict:
    return {
        "EnableCapture": True,
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": f"s3://{DATA_CAPTURE_BUCKET}/{endpoint}",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]},
    }


def _s3(endpoint_url: str, region: str):
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _seed_log_archive(endpoint_url: str, region: str) -> None:
    """The Firehose delivery stream (to an S3 bucket) that examples/ml-platform/log-export.yaml
    subscribes a log group to: PutSubscriptionFilter requires the destination to exist."""
    clients = {service: boto3.client(service, endpoint_url=endpoint_url, region_name=region,
                                     aws_access_key_id="testing", aws_secret_access_key="testing")
               for service in ("s3", "firehose")}
    if LOG_ARCHIVE_STREAM in clients["firehose"].list_delivery_streams()["DeliveryStreamNames"]:
        return
    clients["s3"].create_bucket(Bucket=LOG_ARCHIVE_BUCKET)
    clients["firehose"].create_delivery_stream(
        DeliveryStreamName=LOG_ARCHIVE_STREAM,
        ExtendedS3DestinationConfiguration={"RoleARN": FIREHOSE_ROLE,
                                            "BucketARN": f"arn:aws:s3:::{LOG_ARCHIVE_BUCKET}"})


def _seed_log_export_bucket(s3, region: str) -> None:
    """A bucket CloudWatch Logs may export to: its policy lets the service principal read the
    bucket ACL and put objects (the Logs user guide's policy), as CreateExportTask requires."""
    if LOG_EXPORT_BUCKET in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        return
    s3.create_bucket(Bucket=LOG_EXPORT_BUCKET)
    principal = {"Service": f"logs.{region}.amazonaws.com"}
    s3.put_bucket_policy(Bucket=LOG_EXPORT_BUCKET, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": principal, "Action": "s3:GetBucketAcl",
             "Resource": f"arn:aws:s3:::{LOG_EXPORT_BUCKET}"},
            {"Effect": "Allow", "Principal": principal, "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{LOG_EXPORT_BUCKET}/*",
             "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}))


def _seed_functions(endpoint_url: str, region: str) -> None:
    """The serverless inference functions: a role to run as and a zip of a handler (moto's
    CreateFunction wants both)."""
    clients = {service: boto3.client(service, endpoint_url=endpoint_url, region_name=region,
                                     aws_access_key_id="testing", aws_secret_access_key="testing")
               for service in ("iam", "lambda")}
    existing = {f["FunctionName"] for f in clients["lambda"].list_functions()["Functions"]}
    if set(FUNCTIONS) <= existing:
        return
    try:
        role = clients["iam"].get_role(RoleName=LAMBDA_ROLE_NAME)["Role"]["Arn"]
    except clients["iam"].exceptions.NoSuchEntityException:
        role = clients["iam"].create_role(RoleName=LAMBDA_ROLE_NAME, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {'score': 0.5}\n")
    for name, layers in FUNCTIONS.items():
        if name not in existing:
            clients["lambda"].create_function(
                FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler",
                Code={"ZipFile": code.getvalue()}, Layers=layers, MemorySize=1024, Timeout=30)
