"""Reactor ``ec2-sg-high-risk-ports`` (AFSBP EC2.19)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

#: The ports AFSBP EC2.19 calls high-risk.
HIGH_RISK_PORTS = [
    20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432,
    5500, 5601, 8080, 8088, 8888, 9200, 9300,
]  # fmt: skip
OPEN_V4, OPEN_V6 = "0.0.0.0/0", "::/0"


def _covers(permission: Mapping[str, Any], ports: list[int]) -> bool:
    if permission.get("IpProtocol") in ("-1", "all"):
        return True
    if permission.get("IpProtocol") not in ("tcp", "udp", "6", "17"):
        return False
    low, high = permission.get("FromPort", 0), permission.get("ToPort", 65535)
    return any(low <= port <= high for port in ports)


def open_parts(permission: Mapping[str, Any], ports: list[int]) -> dict[str, Any] | None:
    """The part of an inbound rule that opens one of ``ports`` to the internet, or None."""
    if not _covers(permission, ports):
        return None
    v4 = [r for r in permission.get("IpRanges", []) if r.get("CidrIp") == OPEN_V4]
    v6 = [r for r in permission.get("Ipv6Ranges", []) if r.get("CidrIpv6") == OPEN_V6]
    if not v4 and not v6:
        return None
    part: dict[str, Any] = {
        "IpProtocol": permission["IpProtocol"],
        "IpRanges": v4,
        "Ipv6Ranges": v6,
    }
    for key in ("FromPort", "ToPort"):
        if key in permission:
            part[key] = permission[key]
    return part


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


@reactor
class Ec2SgHighRiskPortsReactor(Reactor):
    """Close high-risk ports that a security group opens to the whole internet.

    Revokes, from the group's inbound rules, the sources 0.0.0.0/0 and ::/0 of every rule that
    reaches one of the high-risk ports of AFSBP EC2.19 (20, 21, 22, 23, 25, 110, 135, 143, 445,
    1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300,
    or the "ports" parameter), including all-traffic rules and port ranges that contain one.
    Rules with other sources (addresses, prefix lists, groups) stay. Rollback authorizes the
    revoked sources again.
    """

    id = "ec2-sg-high-risk-ports"
    version = "1.0.0"
    control_ids = ("EC2.19",)
    permissions = (
        Permission(("ec2:DescribeSecurityGroups",)),
        Permission(
            ("ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupIngress"),
            ("arn:aws:ec2:*:*:security-group/*",),
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "ports": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                "minItems": 1,
                "uniqueItems": True,
                "default": HIGH_RISK_PORTS,
                "description": "ports that must not be open to 0.0.0.0/0 or ::/0",
            }
        },
    }

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsEc2SecurityGroup")
        region = _region(resource.id, finding.region)
        ec2 = client("ec2", session=session, region=region)
        group = ec2.describe_security_groups(GroupIds=[resource.name])["SecurityGroups"][0]
        revoked = [
            part
            for permission in group["IpPermissions"]
            if (part := open_parts(permission, list(params["ports"]))) is not None
        ]
        if not revoked:
            return self.result(
                finding, dry_run=dry_run, changes=[], message="no open high-risk port"
            )
        change = Change(
            "ec2:RevokeSecurityGroupIngress",
            resource.id,
            f"revoke {len(revoked)} internet-open rule(s) reaching high-risk ports",
            revoked,
            None,
        )
        if not dry_run:
            ec2.revoke_security_group_ingress(GroupId=resource.name, IpPermissions=revoked)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"group_id": resource.name, "region": region, "revoked": revoked},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        group_id, revoked = rollback_data.get("group_id"), rollback_data.get("revoked")
        if not group_id or not revoked:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs group_id and revoked")
        ec2 = client("ec2", session=session, region=rollback_data.get("region") or finding.region)
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=list(revoked))
        change = Change(
            "ec2:AuthorizeSecurityGroupIngress",
            group_id,
            f"restore {len(revoked)} rule(s)",
            None,
            revoked,
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(Ec2SgHighRiskPortsReactor)
