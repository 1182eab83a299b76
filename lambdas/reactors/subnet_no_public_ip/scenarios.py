"""Scenarios of ``subnet-no-public-ip`` for the harness (`reactor_sdk.testing`): EC2.15."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def public_ip_subnet(session: boto3.Session, account_id: str) -> Target:
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a")
    subnet_id = subnet["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    return Target(subnet["Subnet"]["SubnetArn"], "AwsEc2Subnet", details={})


def map_public_ip(session: boto3.Session, target: Target) -> Any:
    subnet_id = target.resource_id.rsplit("/", 1)[-1]
    return session.client("ec2").describe_subnets(SubnetIds=[subnet_id])["Subnets"][0][
        "MapPublicIpOnLaunch"
    ]


SCENARIOS = [
    Scenario(
        "EC2.15",
        "asff_findings/asr_afsbp_ec2.2.json",
        public_ip_subnet,
        map_public_ip,
        lambda mapped: mapped is False,
    ),
]
