"""Scenarios of ``ec2-default-sg-restrict`` for the harness (`reactor_sdk.testing`): EC2.2."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def _default_group(ec2: Any) -> dict[str, Any]:
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])
    return dict(groups["SecurityGroups"][0])


def open_default_group(session: boto3.Session, account_id: str) -> Target:
    """The default VPC's default group, with its self-reference, SSH from anywhere and the
    default egress rule."""
    ec2 = session.client("ec2", region_name="us-east-1")
    group = _default_group(ec2)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}]},
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
        ],
    )
    return Target(
        f"arn:aws:ec2:us-east-1:{account_id}:security-group/{group}", "AwsEc2SecurityGroup"
    )


def group_rules(session: boto3.Session, target: Target) -> Any:
    """The group's inbound and outbound rules."""
    ec2 = session.client("ec2", region_name="us-east-1")
    group_id = target.resource_id.rsplit("/", 1)[-1]
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return {"ingress": group["IpPermissions"], "egress": group["IpPermissionsEgress"]}


def no_rules(rules: Any) -> bool:
    """The control passes when the default group allows no traffic either way."""
    return not rules["ingress"] and not rules["egress"]


SCENARIOS = [
    Scenario(
        "EC2.2", "asff_findings/asr_afsbp_ec2.2.json", open_default_group, group_rules, no_rules
    ),
]
