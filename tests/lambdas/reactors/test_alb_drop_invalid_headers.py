"""``alb-drop-invalid-headers`` beyond its scenario: a Network Load Balancer is refused.

The harness (``test_scenarios.py``) runs ELB.4 on an Application Load Balancer (dry run, apply,
rollback, untouched caller). Only Application Load Balancers have the attribute.
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.alb_drop_invalid_headers.reactor import ATTRIBUTE, handler
from lambdas.reactors.alb_drop_invalid_headers.scenarios import SCENARIOS
from reactor_sdk import ReactorError
from reactor_sdk.testing import Target
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def _network_load_balancer(member: boto3.Session) -> Target:
    ec2 = member.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.1.0/24", AvailabilityZone="us-east-1a")
    created = member.client("elbv2").create_load_balancer(
        Name="tcp-front", Type="network", Subnets=[subnet["Subnet"]["SubnetId"]]
    )
    return Target(created["LoadBalancers"][0]["LoadBalancerArn"], "AwsElbv2LoadBalancer", {})


def test_refuses_a_network_load_balancer(member: boto3.Session) -> None:
    target = _network_load_balancer(member)
    finding = scenario_finding(SCENARIOS[0], target, MEMBER)

    for dry_run in (True, False):
        with pytest.raises(
            ReactorError,
            match=r"is a network load balancer: only Application Load Balancers can drop",
        ):
            run(handler, finding, dry_run=dry_run)
    attributes = member.client("elbv2").describe_load_balancer_attributes(
        LoadBalancerArn=target.resource_id
    )["Attributes"]
    assert ATTRIBUTE not in {a["Key"] for a in attributes}
