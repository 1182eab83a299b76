"""Scenarios of ``alb-drop-invalid-headers`` for the harness (`reactor_sdk.testing`): ELB.4."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

ATTRIBUTE = "routing.http.drop_invalid_header_fields.enabled"


def _load_balancer(session: boto3.Session, account_id: str) -> Target:
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for n, z in ((1, "a"), (2, "b"))
    ]
    created = session.client("elbv2").create_load_balancer(Name="passes-headers", Subnets=subnets)
    return Target(created["LoadBalancers"][0]["LoadBalancerArn"], "AwsElbv2LoadBalancer", {})


def _header_handling(session: boto3.Session, target: Target) -> Any:
    found = session.client("elbv2").describe_load_balancer_attributes(
        LoadBalancerArn=target.resource_id
    )
    values = {a["Key"]: a["Value"] for a in found["Attributes"]}
    return {ATTRIBUTE: values.get(ATTRIBUTE, "false")}  # moto lists it only once set


SCENARIOS = [
    Scenario(
        "ELB.4",
        "asff_findings/asr_afsbp_s3.2.json",
        _load_balancer,
        _header_handling,
        lambda state: state.get(ATTRIBUTE) == "true",
    ),
]
