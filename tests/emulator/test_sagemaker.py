"""SageMaker Model Monitor calls through plain boto3 against the emulator."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/monitor"
IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest"
HOURLY = "cron(0 * ? * * *)"


@pytest.fixture
def sm(emu_client):
    client = emu_client("sagemaker")
    client.create_model(ModelName="m", ExecutionRoleArn=ROLE,
                        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://b/model.tar.gz"})
    client.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    client.create_endpoint(EndpointName="churn", EndpointConfigName="c")
    return client


def data_quality_definition(sm, name="dq-1", endpoint="churn", **extra):
    return sm.create_data_quality_job_definition(
        JobDefinitionName=name, RoleArn=ROLE,
        DataQualityAppSpecification={"ImageUri": IMAGE},
        DataQualityJobInput={"EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [
            {"S3Output": {"S3Uri": "s3://b/reports", "LocalPath": "/opt/ml/processing/output"}}]},
        JobResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                        "VolumeSizeInGB": 20}},
        **extra)


def schedule(sm, name="churn-dq", definition="dq-1", expression=HOURLY, **extra):
    return sm.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": expression},
        "MonitoringJobDefinitionName": definition, "MonitoringType": "DataQuality"}, **extra)


def code_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def test_schedule_round_trip_reports_status_type_endpoint_and_definition(sm):
    data_quality_definition(sm)
    arn = schedule(sm)["MonitoringScheduleArn"]
    described = sm.describe_monitoring_schedule(MonitoringScheduleName="churn-dq")
    assert described["MonitoringScheduleArn"] == arn
    assert described["MonitoringScheduleStatus"] == "Scheduled"
    assert (described["MonitoringType"], described["EndpointName"]) == ("DataQuality", "churn")
    assert described["MonitoringScheduleConfig"] == {
        "ScheduleConfig": {"ScheduleExpression": HOURLY},
        "MonitoringJobDefinitionName": "dq-1", "MonitoringType": "DataQuality"}


def test_definition_describe_fills_in_the_defaults_sagemaker_reports(sm):
    data_quality_definition(sm)
    described = sm.describe_data_quality_job_definition(JobDefinitionName="dq-1")
    assert described["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    endpoint_input = described["DataQualityJobInput"]["EndpointInput"]
    assert (endpoint_input["S3InputMode"], endpoint_input["S3DataDistributionType"]) == (
        "File", "FullyReplicated")
    assert "CreationTime" in described


def test_update_changes_the_schedule_expression_and_the_definition(sm):
    data_quality_definition(sm)
    data_quality_definition(sm, name="dq-2")
    schedule(sm)
    sm.update_monitoring_schedule(MonitoringScheduleName="churn-dq", MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 0 ? * * *)"},
        "MonitoringJobDefinitionName": "dq-2", "MonitoringType": "DataQuality"})
    config = sm.describe_monitoring_schedule(MonitoringScheduleName="churn-dq")["MonitoringScheduleConfig"]
    assert (config["ScheduleConfig"]["ScheduleExpression"], config["MonitoringJobDefinitionName"]) == (
        "cron(0 0 ? * * *)", "dq-2")


@pytest.mark.parametrize("expression", [
    "cron(0 * ? * * *)", "cron(0 0 ? * * *)", "cron(0 12 ? * * *)", "cron(0 17/12 ? * * *)",
    "cron(0 0/2 ? * * *)"])
def test_documented_schedule_expressions_are_accepted(sm, expression):
    data_quality_definition(sm)
    schedule(sm, expression=expression)


@pytest.mark.parametrize("expression", [
    "cron(5 * ? * * *)", "cron(0 24 ? * * *)", "cron(0 0/25 ? * * *)", "rate(1 hour)", "hourly"])
def test_other_schedule_expressions_are_refused(sm, expression):
    data_quality_definition(sm)
    assert code_of(schedule, sm, expression=expression)[0] == "ValidationException"


def test_now_needs_the_analysis_window(sm):
    data_quality_definition(sm)
    assert code_of(schedule, sm, expression="NOW")[0] == "ValidationException"
    sm.create_monitoring_schedule(MonitoringScheduleName="once", MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                           "DataAnalysisEndTime": "-PT0H"},
        "MonitoringJobDefinitionName": "dq-1", "MonitoringType": "DataQuality"})


def test_create_refuses_a_missing_endpoint_a_missing_definition_and_a_duplicate(sm):
    data_quality_definition(sm, endpoint="gone")
    code, message = code_of(schedule, sm)
    assert code == "ValidationException" and "Could not find endpoint" in message
    data_quality_definition(sm, name="dq-2")
    assert code_of(schedule, sm, definition="nope")[0] == "ValidationException"
    schedule(sm, definition="dq-2")
    assert code_of(schedule, sm, definition="dq-2")[0] == "ResourceInUse"
    assert code_of(data_quality_definition, sm, name="dq-2")[0] == "ResourceInUse"


def test_requests_are_checked_against_the_model(sm):
    code, message = code_of(data_quality_definition, sm, name="bad_name")
    assert code == "ValidationException"
    assert "at 'jobDefinitionName' failed to satisfy constraint" in message
    code, message = code_of(sm.create_monitoring_schedule, MonitoringScheduleName="x",
                            MonitoringScheduleConfig={"MonitoringJobDefinitionName": "dq-1",
                                                      "MonitoringType": "Drift"})
    assert "Member must satisfy enum value set" in message


def test_unknown_names_answer_resource_not_found(sm):
    for call, kwargs in [(sm.describe_monitoring_schedule, {"MonitoringScheduleName": "nope"}),
                         (sm.delete_monitoring_schedule, {"MonitoringScheduleName": "nope"}),
                         (sm.describe_model_quality_job_definition, {"JobDefinitionName": "nope"}),
                         (sm.delete_data_quality_job_definition, {"JobDefinitionName": "nope"})]:
        assert code_of(call, **kwargs)[0] == "ResourceNotFound"
    code = code_of(sm.update_monitoring_schedule, MonitoringScheduleName="nope", MonitoringScheduleConfig={
        "MonitoringJobDefinitionName": "dq-1", "MonitoringType": "DataQuality"})[0]
    assert code == "ResourceNotFound"


def test_list_schedules_pages_filters_and_sorts(sm):
    data_quality_definition(sm)
    for name in ("c-mon", "a-mon", "b-mon"):
        schedule(sm, name=name)
    paginator = sm.get_paginator("list_monitoring_schedules")
    pages = list(paginator.paginate(SortBy="Name", SortOrder="Ascending",
                                    PaginationConfig={"PageSize": 2}))
    assert [[s["MonitoringScheduleName"] for s in p["MonitoringScheduleSummaries"]] for p in pages] == [
        ["a-mon", "b-mon"], ["c-mon"]]
    newest_first = sm.list_monitoring_schedules()["MonitoringScheduleSummaries"]
    assert [s["MonitoringScheduleName"] for s in newest_first] == ["b-mon", "a-mon", "c-mon"]
    assert [s["MonitoringScheduleName"] for s in sm.list_monitoring_schedules(NameContains="a-")[
        "MonitoringScheduleSummaries"]] == ["a-mon"]
    assert sm.list_monitoring_schedules(EndpointName="other")["MonitoringScheduleSummaries"] == []


def test_list_definitions_reports_the_endpoint_and_pages(sm):
    for index in range(3):
        data_quality_definition(sm, name=f"dq-{index}")
    first = sm.list_data_quality_job_definitions(MaxResults=2, SortBy="Name", SortOrder="Ascending")
    assert [d["MonitoringJobDefinitionName"] for d in first["JobDefinitionSummaries"]] == ["dq-0", "dq-1"]
    assert first["JobDefinitionSummaries"][0]["EndpointName"] == "churn"
    rest = sm.list_data_quality_job_definitions(MaxResults=2, SortBy="Name", SortOrder="Ascending",
                                                NextToken=first["NextToken"])
    assert [d["MonitoringJobDefinitionName"] for d in rest["JobDefinitionSummaries"]] == ["dq-2"]
    assert "NextToken" not in rest


def test_tags_overwrite_and_reach_the_tagging_api(sm, emu_client):
    data_quality_definition(sm, Tags=[{"Key": "team", "Value": "ml"}])
    arn = schedule(sm, Tags=[{"Key": "obsctl:stack", "Value": "a"}])["MonitoringScheduleArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "obsctl:stack", "Value": "b"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "obsctl:stack", "Value": "b"}]
    sm.delete_tags(ResourceArn=arn, TagKeys=["obsctl:stack"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == []
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "obsctl:stack", "Value": "c"}])
    found = emu_client("resourcegroupstaggingapi").get_resources(
        ResourceTypeFilters=["sagemaker:monitoring-schedule"])["ResourceTagMappingList"]
    assert found == [{"ResourceARN": arn, "Tags": [{"Key": "obsctl:stack", "Value": "c"}]}]


def test_delete_removes_the_schedule_and_the_definition(sm):
    data_quality_definition(sm)
    schedule(sm)
    sm.delete_monitoring_schedule(MonitoringScheduleName="churn-dq")
    sm.delete_data_quality_job_definition(JobDefinitionName="dq-1")
    assert sm.list_monitoring_schedules()["MonitoringScheduleSummaries"] == []
    assert sm.list_data_quality_job_definitions()["JobDefinitionSummaries"] == []


def test_stop_and_start_switch_the_schedule_status(sm):
    data_quality_definition(sm)
    schedule(sm)
    sm.stop_monitoring_schedule(MonitoringScheduleName="churn-dq")
    assert sm.describe_monitoring_schedule(MonitoringScheduleName="churn-dq")["MonitoringScheduleStatus"] == "Stopped"
    listed = sm.list_monitoring_schedules()["MonitoringScheduleSummaries"]
    assert [s["MonitoringScheduleStatus"] for s in listed] == ["Stopped"]
    sm.start_monitoring_schedule(MonitoringScheduleName="churn-dq")
    assert sm.describe_monitoring_schedule(MonitoringScheduleName="churn-dq")["MonitoringScheduleStatus"] == "Scheduled"
    assert code_of(sm.stop_monitoring_schedule, MonitoringScheduleName="nope")[0] == "ResourceNotFound"


def test_stop_and_start_are_cloudtrail_write_events_of_the_schedule(sm, emu_client):
    data_quality_definition(sm)
    schedule(sm)
    sm.stop_monitoring_schedule(MonitoringScheduleName="churn-dq")
    sm.start_monitoring_schedule(MonitoringScheduleName="churn-dq")
    events = emu_client("cloudtrail").lookup_events(LookupAttributes=[
        {"AttributeKey": "ResourceName", "AttributeValue": "churn-dq"}])["Events"]
    assert [e["EventName"] for e in events] == [  # newest first
        "StartMonitoringSchedule", "StopMonitoringSchedule", "CreateMonitoringSchedule"]
    assert {e["ReadOnly"] for e in events} == {"false"}
