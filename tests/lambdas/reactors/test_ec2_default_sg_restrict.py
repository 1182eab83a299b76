"""EC2.2 reactor: the member account's default security group loses every rule."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from lambdas.reactors.ec2_default_sg_restrict.reactor import handler
from reactor_sdk import ReactorInputError
from tests.lambdas.reactors.conftest import rollback, run
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


def test_all_rules_are_revoked_and_restored(member: boto3.Session, caller: boto3.Session) -> None:
    ec2, before = _open_default_group(member)
    assert before["OwnerId"] == MEMBER
    assert len(before["IpPermissions"]) == 2 and before["IpPermissionsEgress"]
    result = run(handler, _finding(before["GroupId"]))
    assert [c["action"] for c in result["changes"]] == [
        "ec2:RevokeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress",
    ]
    after = ec2.describe_security_groups(GroupIds=[before["GroupId"]])["SecurityGroups"][0]
    assert after["IpPermissions"] == [] and after["IpPermissionsEgress"] == []
    # The caller's own default group keeps its rules.
    assert _default_group(caller.client("ec2"))["IpPermissionsEgress"]

    rollback(handler, _finding(before["GroupId"]), result)
    restored = ec2.describe_security_groups(GroupIds=[before["GroupId"]])["SecurityGroups"][0]
    assert restored["IpPermissions"] == before["IpPermissions"]
    assert restored["IpPermissionsEgress"] == before["IpPermissionsEgress"]


def test_dry_run_changes_nothing(member: boto3.Session) -> None:
    ec2, before = _open_default_group(member)
    result = run(handler, _finding(before["GroupId"]), dry_run=True)
    assert result["status"] == "would_change" and len(result["changes"]) == 2
    after = ec2.describe_security_groups(GroupIds=[before["GroupId"]])["SecurityGroups"][0]
    assert after["IpPermissions"] == before["IpPermissions"]


def test_non_default_groups_are_refused(member: boto3.Session) -> None:
    ec2 = member.client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    with pytest.raises(ReactorInputError, match="not a default group"):
        run(handler, _finding(group))
