"""Scenarios of ``eks-endpoint-private`` for the harness (`reactor_sdk.testing`): EKS.1."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

CLUSTER = "public-api"


def _public_cluster(session: boto3.Session, account_id: str) -> Target:
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{n}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for n, z in ((1, "a"), (2, "b"))
    ]
    created = session.client("eks").create_cluster(
        name=CLUSTER,
        roleArn=f"arn:aws:iam::{account_id}:role/eks-cluster",
        resourcesVpcConfig={
            "subnetIds": subnets,
            "endpointPublicAccess": True,
            "endpointPrivateAccess": False,
        },
    )
    return Target(created["cluster"]["arn"], "AwsEksCluster", {})


def _endpoint(session: boto3.Session, target: Target) -> Any:
    config = session.client("eks").describe_cluster(name=CLUSTER)["cluster"]["resourcesVpcConfig"]
    return {k: config.get(k) for k in ("endpointPublicAccess", "endpointPrivateAccess")}


SCENARIOS = [
    Scenario(
        "EKS.1",
        "asff_findings/asr_afsbp_s3.2.json",
        _public_cluster,
        _endpoint,
        lambda state: state["endpointPublicAccess"] is False and state["endpointPrivateAccess"],
    ),
]
