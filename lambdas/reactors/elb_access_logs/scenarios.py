"""Scenarios of ``elb-access-logs`` for the harness (`reactor_sdk.testing`): ELB.5 (ALB, CLB)."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

PARAMS = {"bucket": "central-elb-access-logs", "prefix": "elb"}


def alb_without_logs(session: boto3.Session, account_id: str) -> Target:
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{n}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for n, z in ((1, "a"), (2, "b"))
    ]
    created = session.client("elbv2").create_load_balancer(Name="unlogged", Subnets=subnets)
    return Target(created["LoadBalancers"][0]["LoadBalancerArn"], "AwsElbv2LoadBalancer")


def _alb_logs(session: boto3.Session, target: Target) -> Any:
    elbv2 = session.client("elbv2")
    found = elbv2.describe_load_balancer_attributes(LoadBalancerArn=target.resource_id)
    values = {a["Key"]: a["Value"] for a in found["Attributes"]}
    # A missing attribute has AWS's default (moto lists only the attributes set so far).
    return {
        "access_logs.s3.enabled": values.get("access_logs.s3.enabled", "false"),
        "access_logs.s3.bucket": values.get("access_logs.s3.bucket", ""),
    }


def clb_without_logs(session: boto3.Session, account_id: str) -> Target:
    session.client("elb").create_load_balancer(
        LoadBalancerName="unlogged-classic",
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
        AvailabilityZones=["us-east-1a"],
    )
    arn = f"arn:aws:elasticloadbalancing:us-east-1:{account_id}:loadbalancer/unlogged-classic"
    return Target(arn, "AwsElbLoadBalancer")


def _clb_logs(session: boto3.Session, target: Target) -> Any:
    name = target.resource_id.rsplit("/", 1)[-1]
    found = session.client("elb").describe_load_balancer_attributes(LoadBalancerName=name)
    return found["LoadBalancerAttributes"]["AccessLog"]


SCENARIOS = [
    Scenario(
        "ELB.5",
        "asff_findings/asr_afsbp_s3.2.json",
        alb_without_logs,
        _alb_logs,
        lambda state: state["access_logs.s3.enabled"] == "true",
        params=PARAMS,
        name="alb",
    ),
    Scenario(
        "ELB.5",
        "asff_findings/asr_afsbp_s3.2.json",
        clb_without_logs,
        _clb_logs,
        lambda state: state["Enabled"] is True,
        params=PARAMS,
        name="clb",
    ),
]
