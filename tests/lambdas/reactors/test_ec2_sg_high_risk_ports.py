"""EC2.19 reactor: what the scenario harness does not cover (the ports parameter, bad
parameters, what counts as open). Fix, dry run and rollback: ``scenarios.py``."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from lambdas.reactors.ec2_sg_high_risk_ports.reactor import handler, open_parts
from reactor_sdk import ReactorParamsError
from tests.lambdas.reactors.conftest import run
from tests.reactor_support import MEMBER, member_finding

pytestmark = pytest.mark.functional
RULES = [
    {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    {
        "IpProtocol": "tcp",
        "FromPort": 22,
        "ToPort": 22,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.0.0.0/8"}],
    },
    {"IpProtocol": "tcp", "FromPort": 5000, "ToPort": 6000, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
]


def _group(member: boto3.Session) -> tuple[Any, str]:
    ec2 = member.client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="open", Description="open", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=RULES)
    return ec2, group


def _finding(group: str) -> dict:
    # No EC2.19 sample exists: the real EC2.2 sample (a security group), for this control.
    return member_finding(
        "asff_findings/asr_afsbp_ec2.2.json",
        resource_id=f"arn:aws:ec2:us-east-1:{MEMBER}:security-group/{group}",
        control_id="EC2.19",
    )


def _open(ec2: Any, group: str) -> set[tuple[int, str]]:
    permissions = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0][
        "IpPermissions"
    ]
    return {
        (p.get("FromPort", -1), r.get("CidrIp") or r.get("CidrIpv6"))
        for p in permissions
        for r in p.get("IpRanges", []) + p.get("Ipv6Ranges", [])
    }


def test_ports_parameter_narrows_the_check(member: boto3.Session) -> None:
    ec2, group = _group(member)
    run(handler, _finding(group), params={"ports": [3389]})
    assert (3389, "0.0.0.0/0") not in _open(ec2, group)
    assert (22, "0.0.0.0/0") in _open(ec2, group)


def test_invalid_ports_are_refused(member: boto3.Session) -> None:
    _, group = _group(member)
    with pytest.raises(ReactorParamsError, match="more than 65535"):
        run(handler, _finding(group), params={"ports": [70000]})


def test_all_traffic_rules_count() -> None:
    rule = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    assert open_parts(rule, [22]) == {
        "IpProtocol": "-1",
        "IpRanges": rule["IpRanges"],
        "Ipv6Ranges": [],
    }
    assert open_parts({**rule, "IpProtocol": "icmp"}, [22]) is None
