"""Scenarios of ``ec2-imdsv2`` for the harness (`reactor_sdk.testing`): EC2.8."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

#: An AMI id moto knows in every region.
AMI = "ami-12c6146b"


def instance_imdsv1(session: boto3.Session, account_id: str) -> Target:
    """An instance that accepts metadata calls without a token (HttpTokens optional)."""
    ec2 = session.client("ec2")
    instance = ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
    )["Instances"][0]
    region = session.region_name
    return Target(
        f"arn:aws:ec2:{region}:{account_id}:instance/{instance['InstanceId']}", "AwsEc2Instance"
    )


def _tokens(session: boto3.Session, target: Target) -> Any:
    instance_id = target.resource_id.rsplit("/", 1)[-1]
    reservations = session.client("ec2").describe_instances(InstanceIds=[instance_id])
    options = reservations["Reservations"][0]["Instances"][0]["MetadataOptions"]
    return {"HttpTokens": options["HttpTokens"]}


SCENARIOS = [
    Scenario(
        "EC2.8",
        "asff_findings/asr_afsbp_ec2.8.json",
        instance_imdsv1,
        _tokens,
        lambda state: state["HttpTokens"] == "required",
    ),
]
