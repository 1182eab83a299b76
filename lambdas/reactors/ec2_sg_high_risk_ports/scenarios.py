"""Scenarios of ``ec2-sg-high-risk-ports`` for the harness (`reactor_sdk.testing`): EC2.19."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

#: Inbound rules of the failing group: two high-risk ports open to the internet (RDP over
#: IPv4, a range holding 5000 over IPv6), SSH open to the internet and to a private range,
#: and HTTPS open to the internet (not high-risk: it must stay).
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
#: The ports the control checks (the reactor's default list).
HIGH_RISK = (
    20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432,
    5500, 5601, 8080, 8088, 8888, 9200, 9300,
)  # fmt: skip
OPEN = ("0.0.0.0/0", "::/0")
#: Rows of `RULES` the reactor must leave: HTTPS (not high-risk), SSH from a private range.
KEPT = (["tcp", 443, 443, "0.0.0.0/0"], ["tcp", 22, 22, "10.0.0.0/8"])


def group_id(target: Target) -> str:
    """The group id of an ``arn:aws:ec2:region:account:security-group/sg-...`` target."""
    return target.resource_id.rsplit("/", 1)[-1]


def open_group(session: boto3.Session, account_id: str, rules: list[dict[str, Any]]) -> Target:
    """A security group in the default VPC with ``rules`` as its inbound rules."""
    ec2 = session.client("ec2", region_name="us-east-1")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="open", Description="open", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rules)
    return Target(
        f"arn:aws:ec2:us-east-1:{account_id}:security-group/{group}", "AwsEc2SecurityGroup"
    )


def high_risk_open(session: boto3.Session, account_id: str) -> Target:
    """A group opening RDP, SSH and 5000-6000 to the internet, beside HTTPS and a private rule."""
    return open_group(session, account_id, RULES)


def inbound_sources(session: boto3.Session, target: Target) -> Any:
    """The group's inbound rules as sorted (protocol, from, to, source) rows."""
    ec2 = session.client("ec2", region_name="us-east-1")
    group = ec2.describe_security_groups(GroupIds=[group_id(target)])["SecurityGroups"][0]
    return sorted(
        [p["IpProtocol"], p.get("FromPort", -1), p.get("ToPort", -1), source]
        for p in group["IpPermissions"]
        for source in [r["CidrIp"] for r in p.get("IpRanges", [])]
        + [r["CidrIpv6"] for r in p.get("Ipv6Ranges", [])]
    )


def closed(ports: tuple[int, ...]) -> Any:
    """The ``fixed`` test for ``ports``: no rule reaching one of them is open to the internet."""

    def check(rows: Any) -> bool:
        return not any(
            source in OPEN and (protocol == "-1" or any(low <= port <= high for port in ports))
            for protocol, low, high, source in rows
        )

    return check


def high_risk_closed(rows: Any) -> bool:
    """No high-risk port is open to the internet, and the HTTPS and private rules stayed."""
    return closed(HIGH_RISK)(rows) and all(row in rows for row in KEPT)


#: No EC2.19 sample exists: the real EC2.2 sample (a security group), pointed at each control.
SAMPLE = "asff_findings/asr_afsbp_ec2.2.json"

#: EC2.18's failing group: every TCP port and DNS over UDP open to the internet, beside HTTPS
#: open over IPv4 (authorized), ICMP open (out of the control's scope) and SSH from a private
#: range. The reactor revokes the open TCP range and UDP rule and reopens 80 and 443 alone.
UNAUTHORIZED_RULES = [
    {
        "IpProtocol": "tcp",
        "FromPort": 0,
        "ToPort": 65535,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
        "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
    },
    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
]
#: Rows EC2.18's fix must leave open to the internet: 80 and 443 over both IP versions, ICMP.
AUTHORIZED_OPEN = sorted(
    [["tcp", port, port, source] for port in (80, 443) for source in OPEN]
    + [["icmp", -1, -1, "0.0.0.0/0"]]
)


def unauthorized_open(session: boto3.Session, account_id: str) -> Target:
    """A group opening every TCP port and DNS (UDP) to the internet, beside authorized rules."""
    return open_group(session, account_id, UNAUTHORIZED_RULES)


def only_authorized_open(rows: Any) -> bool:
    """EC2.18 fixed: open to the internet are 80, 443 and ICMP only; the private rule stays."""
    open_rows = sorted(row for row in rows if row[3] in OPEN)
    return open_rows == AUTHORIZED_OPEN and ["tcp", 22, 22, "10.0.0.0/8"] in rows


def only(port: int, other: int) -> Any:
    """The ``fixed`` test of EC2.13/EC2.14: ``port`` closed, ``other`` (a high-risk port the
    control does not judge) left open."""

    def check(rows: Any) -> bool:
        return closed((port,))(rows) and ["tcp", other, other, "0.0.0.0/0"] in rows

    return check


SCENARIOS = [
    Scenario("EC2.19", SAMPLE, high_risk_open, inbound_sources, high_risk_closed),
    Scenario("EC2.13", SAMPLE, high_risk_open, inbound_sources, only(22, 3389)),
    Scenario("EC2.14", SAMPLE, high_risk_open, inbound_sources, only(3389, 22)),
    Scenario("EC2.18", SAMPLE, unauthorized_open, inbound_sources, only_authorized_open),
]
