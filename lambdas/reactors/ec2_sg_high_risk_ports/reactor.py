"""Reactor ``ec2-sg-high-risk-ports`` (AFSBP EC2.19, EC2.13, EC2.14, EC2.18)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
#: The one port each of EC2.13 (SSH) and EC2.14 (RDP) is about.
CONTROL_PORTS = {"EC2.13": [22], "EC2.14": [3389]}
#: EC2.18: the control whose parameters name the ports that may stay open.
AUTHORIZED_PORTS_CONTROL = "EC2.18"
OPEN_V4, OPEN_V6 = "0.0.0.0/0", "::/0"
_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "all": "-1"}


def _protocol(permission: Mapping[str, Any]) -> str:
    """The rule's protocol as a name (``tcp``, ``udp``, ``-1`` for all traffic...)."""
    protocol = str(permission.get("IpProtocol"))
    return _PROTOCOL_NAMES.get(protocol, protocol)


def _port_range(permission: Mapping[str, Any]) -> tuple[int, int]:
    return int(permission.get("FromPort", 0)), int(permission.get("ToPort", 65535))


def _covers(permission: Mapping[str, Any], ports: list[int]) -> bool:
    protocol = _protocol(permission)
    if protocol == "-1":
        return True
    if protocol not in ("tcp", "udp"):
        return False
    low, high = _port_range(permission)
    return any(low <= port <= high for port in ports)


def unauthorized(permission: Mapping[str, Any], authorized: Mapping[str, list[int]]) -> bool:
    """Whether a rule reaches a TCP or UDP port outside ``authorized`` (protocol -> ports);
    all-traffic rules do, rules of other protocols (ICMP...) are out of EC2.18's scope."""
    protocol = _protocol(permission)
    if protocol == "-1":
        return True
    if protocol not in authorized:
        return False
    low, high = _port_range(permission)
    allowed = set(authorized[protocol])
    return high - low + 1 > len(allowed) or any(p not in allowed for p in range(low, high + 1))


def open_sources(permission: Mapping[str, Any]) -> dict[str, Any] | None:
    """The part of an inbound rule open to the internet (0.0.0.0/0, ::/0), or None."""
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


def open_parts(permission: Mapping[str, Any], ports: list[int]) -> dict[str, Any] | None:
    """The part of an inbound rule that opens one of ``ports`` to the internet, or None."""
    return open_sources(permission) if _covers(permission, ports) else None


def _reaches(permission: Mapping[str, Any], protocol: str, port: int, source: str) -> bool:
    sources = [r.get("CidrIp") for r in permission.get("IpRanges", [])] + [
        r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])
    ]
    if source not in sources:
        return False
    if _protocol(permission) == "-1":
        return True
    low, high = _port_range(permission)
    return _protocol(permission) == protocol and low <= port <= high


def authorized_reopened(
    revoked: list[dict[str, Any]],
    kept: Sequence[Mapping[str, Any]],
    authorized: Mapping[str, list[int]],
) -> list[dict[str, Any]]:
    """Single-port rules that keep the authorized ports of the ``revoked`` parts open to the
    sources they had, except where a ``kept`` rule already opens them."""
    reopened: list[dict[str, Any]] = []
    seen: set[tuple[str, int, str]] = set()
    for part in revoked:
        every = _protocol(part) == "-1"
        low, high = (0, 65535) if every else _port_range(part)
        protocols = ["tcp", "udp"] if every else [_protocol(part)]
        for protocol in protocols:
            for port in sorted(authorized.get(protocol, [])):
                if not low <= port <= high:
                    continue
                for key, cidr in (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6")):
                    for source in part.get(key, []):
                        if (protocol, port, source[cidr]) in seen or any(
                            _reaches(k, protocol, port, source[cidr]) for k in kept
                        ):
                            continue
                        seen.add((protocol, port, source[cidr]))
                        rule = {"IpProtocol": protocol, "FromPort": port, "ToPort": port}
                        reopened.append({**rule, key: [dict(source)]})
    return reopened


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


@reactor
class Ec2SgHighRiskPortsReactor(Reactor):
    """Close ports that a security group opens to the whole internet.

    Revokes, from the group's inbound rules, the sources 0.0.0.0/0 and ::/0 of every rule that
    reaches a port the finding's control forbids, including all-traffic rules and port ranges
    that contain one:

    - EC2.19: the high-risk ports (20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000,
      3306, 3389, 4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300, or the "ports"
      parameter);
    - EC2.13: port 22 (SSH) only; EC2.14: port 3389 (RDP) only;
    - EC2.18: every TCP port but "authorized_tcp_ports" (default 80 and 443) and every UDP port
      but "authorized_udp_ports" (default none), as the control's parameters of the same names.
      A revoked rule whose range also held authorized ports (0-65535, or all traffic) is
      replaced, for the same sources, by one rule per authorized port, so web traffic keeps
      flowing; rules of other protocols (ICMP) are out of the control's scope and stay.

    Rules with other sources (addresses, prefix lists, groups) stay. Closing a port can cut
    clients that reach it from the internet: run it in dry-run mode first. Rollback removes
    the rules it added and authorizes the revoked sources again.
    """

    id = "ec2-sg-high-risk-ports"
    version = "1.0.0"
    control_ids = ("EC2.19", "EC2.13", "EC2.14", "EC2.18")
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
                "description": "EC2.19: ports that must not be open to 0.0.0.0/0 or ::/0",
            },
            "authorized_tcp_ports": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                "uniqueItems": True,
                "default": [80, 443],
                "description": "EC2.18: TCP ports that may stay open to 0.0.0.0/0 or ::/0",
            },
            "authorized_udp_ports": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                "uniqueItems": True,
                "default": [],
                "description": "EC2.18: UDP ports that may stay open to 0.0.0.0/0 or ::/0",
            },
        },
    }

    @staticmethod
    def authorized(params: Mapping[str, Any]) -> dict[str, list[int]]:
        """EC2.18's authorized ports, per protocol."""
        return {
            "tcp": list(params.get("authorized_tcp_ports") or []),
            "udp": list(params.get("authorized_udp_ports") or []),
        }

    def plan(
        self, control_id: str | None, rules: list[dict[str, Any]], params: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The open parts to revoke and, for EC2.18, the authorized single-port rules to add."""
        if control_id == AUTHORIZED_PORTS_CONTROL:
            authorized = self.authorized(params)
            closing = [r for r in rules if unauthorized(r, authorized)]
            revoked = [part for r in closing if (part := open_sources(r)) is not None]
            kept = [r for r in rules if r not in closing]
            return revoked, authorized_reopened(revoked, kept, authorized)
        ports = CONTROL_PORTS.get(control_id or "", list(params["ports"]))
        return [part for r in rules if (part := open_parts(r, ports)) is not None], []

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
        revoked, added = self.plan(finding.control_id, group["IpPermissions"], params)
        if not revoked:
            return self.result(
                finding, dry_run=dry_run, changes=[], message="no forbidden port is open"
            )
        changes = [
            Change(
                "ec2:RevokeSecurityGroupIngress",
                resource.id,
                f"revoke {len(revoked)} internet-open rule(s) reaching forbidden ports",
                revoked,
                None,
            )
        ]
        if added:
            changes.append(
                Change(
                    "ec2:AuthorizeSecurityGroupIngress",
                    resource.id,
                    f"keep {len(added)} authorized port rule(s) open",
                    None,
                    added,
                )
            )
        if not dry_run:
            # Narrow rules first: the authorized ports never close, even for a moment.
            if added:
                ec2.authorize_security_group_ingress(GroupId=resource.name, IpPermissions=added)
            ec2.revoke_security_group_ingress(GroupId=resource.name, IpPermissions=revoked)
        rollback_data = {"group_id": resource.name, "region": region, "revoked": revoked}
        if added:
            rollback_data["added"] = added
        return self.result(finding, dry_run=dry_run, changes=changes, rollback_data=rollback_data)

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        group_id, revoked = rollback_data.get("group_id"), rollback_data.get("revoked")
        if not group_id or not revoked:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs group_id and revoked")
        ec2 = client("ec2", session=session, region=rollback_data.get("region") or finding.region)
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=list(revoked))
        changes = [
            Change(
                "ec2:AuthorizeSecurityGroupIngress",
                group_id,
                f"restore {len(revoked)} rule(s)",
                None,
                revoked,
            )
        ]
        added = list(rollback_data.get("added") or [])
        if added:
            ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=added)
            changes.append(
                Change(
                    "ec2:RevokeSecurityGroupIngress",
                    group_id,
                    f"remove the {len(added)} rule(s) it added",
                    added,
                    None,
                )
            )
        return self.result(finding, dry_run=False, changes=changes, operation="rollback")


handler = reactor_handler(Ec2SgHighRiskPortsReactor)
