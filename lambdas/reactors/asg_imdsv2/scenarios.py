"""Scenarios of ``asg-imdsv2`` for the harness (`reactor_sdk.testing`): AutoScaling.3.

``launch-configuration``: the finding names a launch configuration (as Security Hub does) that
a group uses; ``launch-template``: the finding names a group that follows ``$Latest`` of a
launch template. ``observe`` reads what each group launches from and whether that requires
IMDSv2.
"""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

AMI = "ami-12c6146b"
IMDSV1 = {"HttpTokens": "optional", "HttpEndpoint": "enabled"}


def configuration_imdsv1(session: boto3.Session, account_id: str) -> Target:
    """Group ``web`` launching from configuration ``web-lc``, which allows IMDSv1."""
    autoscaling = session.client("autoscaling")
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="web-lc",
        ImageId=AMI,
        InstanceType="t3.micro",
        MetadataOptions=IMDSV1,
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchConfigurationName="web-lc",
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=["us-east-1a"],
    )
    found = autoscaling.describe_launch_configurations(LaunchConfigurationNames=["web-lc"])
    arn = found["LaunchConfigurations"][0]["LaunchConfigurationARN"]
    return Target(arn, "AwsAutoScalingLaunchConfiguration", {})


def template_imdsv1(session: boto3.Session, account_id: str) -> Target:
    """Group ``api`` following ``$Latest`` of template ``api-lt``, which allows IMDSv1."""
    template = session.client("ec2").create_launch_template(
        LaunchTemplateName="api-lt",
        LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro", "MetadataOptions": IMDSV1},
    )["LaunchTemplate"]
    autoscaling = session.client("autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="api",
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "$Latest"},
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=["us-east-1a"],
    )
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["api"])
    return Target(
        group["AutoScalingGroups"][0]["AutoScalingGroupARN"], "AwsAutoScalingAutoScalingGroup", {}
    )


def _launches(session: boto3.Session, target: Target) -> Any:
    autoscaling, ec2 = session.client("autoscaling"), session.client("ec2")
    state = {}
    for group in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]:
        if group.get("LaunchConfigurationName"):
            name = group["LaunchConfigurationName"]
            found = autoscaling.describe_launch_configurations(LaunchConfigurationNames=[name])
            options = found["LaunchConfigurations"][0].get("MetadataOptions") or {}
            source: Any = {"LaunchConfigurationName": name}
        else:
            spec = group["LaunchTemplate"]
            version = ec2.describe_launch_template_versions(
                LaunchTemplateId=spec["LaunchTemplateId"], Versions=[spec["Version"]]
            )["LaunchTemplateVersions"][0]
            options = version["LaunchTemplateData"].get("MetadataOptions") or {}
            source = {"LaunchTemplateName": spec["LaunchTemplateName"], "Version": spec["Version"]}
        state[group["AutoScalingGroupName"]] = {
            "source": source,
            "HttpTokens": options.get("HttpTokens", "optional"),
        }
    return state


def _required(state: Any) -> bool:
    return all(group["HttpTokens"] == "required" for group in state.values())


SAMPLE = "asff_findings/asr_afsbp_ec2.8.json"
SCENARIOS = [
    Scenario(
        "AutoScaling.3",
        SAMPLE,
        configuration_imdsv1,
        _launches,
        _required,
        name="launch-configuration",
    ),
    Scenario(
        "AutoScaling.3", SAMPLE, template_imdsv1, _launches, _required, name="launch-template"
    ),
]
