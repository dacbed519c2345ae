"""The images SageMaker runs for each monitoring type, per region: data, from the SageMaker
Python SDK (src/sagemaker/image_uri_config/model-monitor.json and clarify.json).
"""

from __future__ import annotations

# ECR accounts of the images SageMaker runs, from the SageMaker Python SDK
# (src/sagemaker/image_uri_config/model-monitor.json and clarify.json).
_MODEL_MONITOR_ACCOUNTS = {
    "us-east-1": "156813124566", "us-east-2": "777275614652", "us-west-1": "890145073186",
    "us-west-2": "159807026194", "ca-central-1": "536280801234", "sa-east-1": "539772159869",
    "eu-west-1": "468650794304", "eu-west-2": "749857270468", "eu-west-3": "680080141114",
    "eu-central-1": "048819808253", "eu-north-1": "895015795356", "me-south-1": "607024016150",
    "ap-south-1": "126357580389", "ap-east-1": "001633400207", "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524", "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158", "cn-north-1": "453000072557", "cn-northwest-1": "453252182341"}


_CLARIFY_ACCOUNTS = {
    "us-east-1": "205585389593", "us-east-2": "211330385671", "us-west-1": "740489534195",
    "us-west-2": "306415355426", "ca-central-1": "675030665977", "sa-east-1": "520018980103",
    "eu-west-1": "131013547314", "eu-west-2": "440796970383", "eu-west-3": "341593696636",
    "eu-central-1": "017069133835", "eu-north-1": "763603941244", "eu-south-1": "638885417683",
    "me-south-1": "835444307964", "af-south-1": "811711786498", "ap-south-1": "452307495513",
    "ap-east-1": "098760798382", "ap-northeast-1": "377024640650", "ap-northeast-2": "263625296855",
    "ap-northeast-3": "364406365360", "ap-southeast-1": "834264404009",
    "ap-southeast-2": "007051062584", "cn-north-1": "122526803553", "cn-northwest-1": "122578899357"}


IMAGES = {"DataQuality": (_MODEL_MONITOR_ACCOUNTS, "sagemaker-model-monitor-analyzer:latest"),
          "ModelQuality": (_MODEL_MONITOR_ACCOUNTS, "sagemaker-model-monitor-analyzer:latest"),
          "ModelBias": (_CLARIFY_ACCOUNTS, "sagemaker-clarify-processing:1.0"),
          "ModelExplainability": (_CLARIFY_ACCOUNTS, "sagemaker-clarify-processing:1.0")}


def image_uri(monitoring_type: str, region: str) -> str | None:
    accounts, repository = IMAGES[monitoring_type]
    account = accounts.get(region)
    suffix = ".cn" if region.startswith("cn-") else ""
    return f"{account}.dkr.ecr.{region}.amazonaws.com{suffix}/{repository}" if account else None
