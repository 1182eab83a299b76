"""EC2.2 reactor: what the scenario harness does not cover (a group that is not a default
group is refused). Fix, dry run and rollback: ``scenarios.py``."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from lambdas.reactors.ec2_default_sg_restrict.reactor import handler
from reactor_sdk import ReactorInputError
from tests.lambdas.reactors.conftest import run
from tests.reactor_support import MEMBER, member_finding

pytestmark = pytest.mark.functional


def _default_group(ec2: Any) -> dict:
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"
    ]
    return groups[0]


def _finding(group_id: str) -> dict:
    return member_finding(
        "asff_findings/asr_afsbp_ec2.2.json",
        resource_id=f"arn:aws:ec2:us-east-1:{MEMBER}:security-group/{group_id}",
    )


def _open_default_group(member: boto3.Session) -> tuple[Any, dict]:
    ec2 = member.client("ec2")
    group = _default_group(ec2)
    ec2.authorize_security_group_ingress(
        GroupId=group["GroupId"],
        IpPermissions=[
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group["GroupId"]}]},
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
        ],
    )
    return ec2, ec2.describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"][0]


def test_non_default_groups_are_refused(member: boto3.Session) -> None:
    ec2 = member.client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    with pytest.raises(ReactorInputError, match="not a default group"):
        run(handler, _finding(group))
