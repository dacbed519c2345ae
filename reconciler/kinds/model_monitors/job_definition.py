"""The monitoring job definition: its comparable form (config and live), its name (the
monitor's name and a digest of its content: definitions cannot be updated, only replaced),
and the Create*JobDefinition request.
"""

from __future__ import annotations

import hashlib
import json
import re

from reconciler.kinds.common import present, tag_list
from reconciler.kinds.model_monitors.model import (DEFAULT_MAX_RUNTIME_SECONDS, INPUT_PATH,
                                                   MonitorConfig, OUTPUT_PATH)


def desired_job_definition(monitor: MonitorConfig, image: str) -> dict:
    return present({
        "image_uri": image,
        "role_arn": monitor.role_arn,
        "output": monitor.output,
        "baseline": present({"statistics": monitor.baseline.statistics,
                              "constraints": monitor.baseline.constraints}),
        "instance_type": monitor.instance_type,
        "instance_count": monitor.instance_count,
        "volume_size_gb": monitor.volume_size_gb,
        "max_runtime_seconds": monitor.max_runtime_seconds,
        "s3_input_mode": "File",
        "s3_data_distribution_type": "FullyReplicated",
        "analysis_config": monitor.analysis_config,
        "ground_truth": monitor.ground_truth,
        "problem_type": monitor.problem_type,
        "inference_attribute": monitor.inference_attribute,
        "probability_attribute": monitor.probability_attribute,
        "probability_threshold_attribute": monitor.probability_threshold_attribute,
        # Absent when empty / the default, so definitions made before these existed keep
        # their content-addressed names.
        "environment": dict(monitor.environment) or None,
        "output_upload_mode": None if monitor.output_upload_mode == "EndOfJob" else monitor.output_upload_mode,
    })


def job_definition_name(monitor_name: str, spec: dict) -> str:
    """`<monitor>-<8 hex>` of what the definition holds: a new content is a new name.
    Lower case: SageMaker ARNs carry names in lower case, and names are read back from ARNs."""
    content = json.dumps({key: spec[key] for key in ("endpoint", "type", "job_definition")},
                         sort_keys=True, separators=(",", ":"))
    return f"{monitor_name.lower()}-{hashlib.sha256(content.encode()).hexdigest()[:8]}"


def live_job_definition(monitoring_type: str, described: dict) -> dict:
    """The comparable form of a Describe<Type>JobDefinition answer."""
    prefix = monitoring_type
    app = described.get(f"{prefix}AppSpecification", {})
    job_input = described.get(f"{prefix}JobInput", {})
    endpoint_input = job_input.get("EndpointInput", {})
    outputs = described.get(f"{prefix}JobOutputConfig", {}).get("MonitoringOutputs", [{}])
    baseline = described.get(f"{prefix}BaselineConfig", {})
    cluster = described.get("JobResources", {}).get("ClusterConfig", {})
    return present({
        "image_uri": app.get("ImageUri"),
        "role_arn": described.get("RoleArn"),
        "output": outputs[0].get("S3Output", {}).get("S3Uri"),
        "baseline": present({"statistics": baseline.get("StatisticsResource", {}).get("S3Uri"),
                              "constraints": baseline.get("ConstraintsResource", {}).get("S3Uri")}),
        "instance_type": cluster.get("InstanceType"),
        "instance_count": cluster.get("InstanceCount"),
        "volume_size_gb": cluster.get("VolumeSizeInGB"),
        "max_runtime_seconds": described.get("StoppingCondition", {}).get(
            "MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME_SECONDS),
        "s3_input_mode": endpoint_input.get("S3InputMode", "File"),
        "s3_data_distribution_type": endpoint_input.get("S3DataDistributionType", "FullyReplicated"),
        "analysis_config": app.get("ConfigUri"),
        "ground_truth": job_input.get("GroundTruthS3Input", {}).get("S3Uri"),
        "problem_type": app.get("ProblemType"),
        "inference_attribute": endpoint_input.get("InferenceAttribute"),
        "probability_attribute": endpoint_input.get("ProbabilityAttribute"),
        "probability_threshold_attribute": endpoint_input.get("ProbabilityThresholdAttribute"),
        "environment": app.get("Environment") or None,
        "output_upload_mode": _upload_mode(outputs[0].get("S3Output", {}).get("S3UploadMode")),
    })


def _upload_mode(mode: str | None) -> str | None:
    return None if mode in (None, "EndOfJob") else mode


def job_definition_request(name: str, spec: dict, tags: dict[str, str]) -> dict:
    """Create<Type>JobDefinition arguments for a comparable form."""
    prefix, definition = spec["type"], spec["job_definition"]
    endpoint_input = present({
        "EndpointName": spec["endpoint"], "LocalPath": INPUT_PATH,
        "S3InputMode": definition["s3_input_mode"],
        "S3DataDistributionType": definition["s3_data_distribution_type"],
        "InferenceAttribute": definition.get("inference_attribute"),
        "ProbabilityAttribute": definition.get("probability_attribute"),
        "ProbabilityThresholdAttribute": definition.get("probability_threshold_attribute"),
    })
    job_input = {"EndpointInput": endpoint_input}
    if "ground_truth" in definition:
        job_input["GroundTruthS3Input"] = {"S3Uri": definition["ground_truth"]}
    baseline = definition.get("baseline", {})
    baseline_config = present({
        "ConstraintsResource": {"S3Uri": baseline["constraints"]} if "constraints" in baseline else None,
        "StatisticsResource": {"S3Uri": baseline["statistics"]} if "statistics" in baseline else None,
    })
    return present({
        "JobDefinitionName": name,
        f"{prefix}BaselineConfig": baseline_config or None,
        f"{prefix}AppSpecification": present({"ImageUri": definition["image_uri"],
                                               "ConfigUri": definition.get("analysis_config"),
                                               "ProblemType": definition.get("problem_type"),
                                               "Environment": definition.get("environment")}),
        f"{prefix}JobInput": job_input,
        f"{prefix}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": present({
            "S3Uri": definition["output"], "LocalPath": OUTPUT_PATH,
            "S3UploadMode": definition.get("output_upload_mode")})}]},
        "JobResources": {"ClusterConfig": {"InstanceCount": definition["instance_count"],
                                           "InstanceType": definition["instance_type"],
                                           "VolumeSizeInGB": definition["volume_size_gb"]}},
        "RoleArn": definition["role_arn"],
        "StoppingCondition": {"MaxRuntimeInSeconds": definition["max_runtime_seconds"]},
        "Tags": tag_list(tags),
    })


def _snake(monitoring_type: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", monitoring_type).lower()  # ModelBias -> model_bias
