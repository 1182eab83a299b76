"""``subnet-no-public-ip`` beyond its scenario: a subnet an Auto Scaling group launches into is
refused (its new instances would lose their public address) unless the parameter allows it.

The harness (``test_scenarios.py``) runs the EC2.15 scenario (dry run, apply, rollback,
untouched caller) on a subnet no group uses.
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.subnet_no_public_ip.reactor import handler
from lambdas.reactors.subnet_no_public_ip.scenarios import (
    SCENARIOS,
    map_public_ip,
    public_ip_subnet,
)
from reactor_sdk import ReactorError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def test_refuses_a_subnet_of_an_auto_scaling_group_unless_allowed(member: boto3.Session) -> None:
    target = public_ip_subnet(member, MEMBER)
    member.client("ec2").create_launch_template(
        LaunchTemplateName="web", LaunchTemplateData={"ImageId": "ami-12c6146b"}
    )
    member.client("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateName": "web"},
        MinSize=0,
        MaxSize=1,
        VPCZoneIdentifier=target.resource_id.rsplit("/", 1)[-1],
    )
    finding = scenario_finding(SCENARIOS[0], target, MEMBER)
    for dry_run in (True, False):
        with pytest.raises(ReactorError, match=r"group\(s\) web launch into"):
            run(handler, finding, dry_run=dry_run)
    assert map_public_ip(member, target) is True

    done = run(handler, finding, params={"allow_auto_scaling_subnets": True})
    assert done["status"] == "changed"
    assert map_public_ip(member, target) is False
