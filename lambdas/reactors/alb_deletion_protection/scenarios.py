"""Scenarios of ``alb-deletion-protection`` for the harness (`reactor_sdk.testing`): ELB.6."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def _load_balancer(session: boto3.Session, account_id: str) -> Target:
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for n, z in ((1, "a"), (2, "b"))
    ]
    created = session.client("elbv2").create_load_balancer(Name="unprotected", Subnets=subnets)
    return Target(created["LoadBalancers"][0]["LoadBalancerArn"], "AwsElbv2LoadBalancer")


def _protection(session: boto3.Session, target: Target) -> Any:
    elbv2 = session.client("elbv2")
    found = elbv2.describe_load_balancer_attributes(LoadBalancerArn=target.resource_id)
    values = {a["Key"]: a["Value"] for a in found["Attributes"]}
    return {"deletion_protection.enabled": values.get("deletion_protection.enabled")}


SCENARIOS = [
    Scenario(
        "ELB.6",
        "asff_findings/asr_afsbp_s3.2.json",
        _load_balancer,
        _protection,
        lambda state: state["deletion_protection.enabled"] == "true",
    ),
]
