"""Reactor ``ec2-default-sg-restrict`` (AFSBP EC2.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorInputError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


@reactor
class Ec2DefaultSgRestrictReactor(Reactor):
    """Remove every inbound and outbound rule of a VPC's default security group.

    AWS recommends that default security groups allow no traffic, so that resources launched
    without an explicit group are isolated. The reactor revokes all the group's inbound and
    outbound rules; the group itself stays (it cannot be deleted). It refuses groups that are
    not named "default". Rollback authorizes the revoked rules again.
    """

    id = "ec2-default-sg-restrict"
    version = "1.0.0"
    control_ids = ("EC2.2",)
    permissions = (
        Permission(("ec2:DescribeSecurityGroups",)),
        Permission(
            (
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:AuthorizeSecurityGroupEgress",
            ),
            ("arn:aws:ec2:*:*:security-group/*",),
        ),
    )

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
        if group["GroupName"] != "default":
            raise ReactorInputError(
                f"{resource.name} is {group['GroupName']!r}, not a default group"
            )
        ingress, egress = group["IpPermissions"], group["IpPermissionsEgress"]
        changes = []
        if ingress:
            changes.append(
                Change(
                    "ec2:RevokeSecurityGroupIngress",
                    resource.id,
                    f"revoke {len(ingress)} inbound rule(s)",
                    ingress,
                    [],
                )
            )
        if egress:
            changes.append(
                Change(
                    "ec2:RevokeSecurityGroupEgress",
                    resource.id,
                    f"revoke {len(egress)} outbound rule(s)",
                    egress,
                    [],
                )
            )
        if not dry_run:
            if ingress:
                ec2.revoke_security_group_ingress(GroupId=resource.name, IpPermissions=ingress)
            if egress:
                ec2.revoke_security_group_egress(GroupId=resource.name, IpPermissions=egress)
        rollback = {
            "group_id": resource.name,
            "region": region,
            "ingress": ingress,
            "egress": egress,
        }
        return self.result(
            finding, dry_run=dry_run, changes=changes, rollback_data=rollback if changes else {}
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        group_id = rollback_data.get("group_id")
        if not group_id:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs group_id")
        ec2 = client("ec2", session=session, region=rollback_data.get("region") or finding.region)
        ingress, egress = rollback_data.get("ingress") or [], rollback_data.get("egress") or []
        if ingress:
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=ingress)
        if egress:
            ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=egress)
        change = Change(
            "ec2:AuthorizeSecurityGroupIngress",
            group_id,
            f"restore {len(ingress)} inbound and {len(egress)} outbound rule(s)",
            [],
            {"ingress": ingress, "egress": egress},
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(Ec2DefaultSgRestrictReactor)
