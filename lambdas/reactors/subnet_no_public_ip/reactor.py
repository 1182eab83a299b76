"""Reactor ``subnet-no-public-ip`` (AFSBP EC2.15)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


def auto_scaling_groups_in(autoscaling: Any, subnet_id: str) -> list[str]:
    """Names of the Auto Scaling groups that launch instances into ``subnet_id``."""
    names: list[str] = []
    for page in autoscaling.get_paginator("describe_auto_scaling_groups").paginate():
        for group in page.get("AutoScalingGroups", []):
            subnets = str(group.get("VPCZoneIdentifier") or "").split(",")
            if subnet_id in (s.strip() for s in subnets):
                names.append(group["AutoScalingGroupName"])
    return names


def map_public_ip_set(ec2: Any, subnet_id: str, value: bool) -> None:
    try:
        ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": value})
    except ClientError as exc:
        raise ReactorError(f"EC2 refused the change of {subnet_id}: {exc}") from exc


@reactor
class SubnetNoPublicIpReactor(Reactor):
    """Stop a subnet from giving a public IPv4 address to every instance launched in it.

    Turns off the subnet attribute MapPublicIpOnLaunch, so that instances launched in the
    subnet get a public IPv4 address only when their launch asks for one. Running instances
    keep their addresses; nothing changes when the attribute is already off.

    New instances that relied on the attribute to reach the internet (no NAT gateway, no
    explicit public address in their launch template) would start without internet access.
    The reactor therefore refuses a subnet that an Auto Scaling group (EKS and ECS node groups
    included) launches into, naming the groups, unless "allow_auto_scaling_subnets" is true:
    check that their launch templates request a public address, or that they need none, then
    set it. Run it in dry-run mode first. Rollback turns the attribute on again.
    """

    id = "subnet-no-public-ip"
    version = "1.0.0"
    recommended_mode = "dry_run"
    control_ids = ("EC2.15",)
    permissions = (
        Permission(("ec2:DescribeSubnets", "autoscaling:DescribeAutoScalingGroups")),
        Permission(("ec2:ModifySubnetAttribute",), ("arn:aws:ec2:*:*:subnet/*",)),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "allow_auto_scaling_subnets": {
                "type": "boolean",
                "default": False,
                "description": "change the subnet even when Auto Scaling groups launch into it",
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
        resource = finding.resource("AwsEc2Subnet")
        subnet_id, region = resource.name, _region(resource.id, finding.region)
        ec2 = client("ec2", session=session, region=region)
        try:
            subnet = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
        except ClientError as exc:
            raise ReactorError(f"cannot read the subnet {subnet_id}: {exc}") from exc
        if not subnet.get("MapPublicIpOnLaunch"):
            return self.result(
                finding, dry_run=dry_run, changes=[], message="no public IP on launch"
            )
        if not params["allow_auto_scaling_subnets"]:
            autoscaling = client("autoscaling", session=session, region=region)
            groups = auto_scaling_groups_in(autoscaling, subnet_id)
            if groups:
                raise ReactorError(
                    f"Auto Scaling group(s) {', '.join(sorted(groups))} launch into {subnet_id}: "
                    "their new instances would start without a public IPv4 address; check their "
                    "launch templates, then set allow_auto_scaling_subnets"
                )
        change = Change(
            "ec2:ModifySubnetAttribute",
            resource.id,
            "stop assigning public IPv4 addresses on launch",
            {"MapPublicIpOnLaunch": True},
            {"MapPublicIpOnLaunch": False},
        )
        if not dry_run:
            map_public_ip_set(ec2, subnet_id, False)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"subnet_id": subnet_id, "region": region},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        subnet_id = rollback_data.get("subnet_id")
        if not subnet_id:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs subnet_id")
        region = rollback_data.get("region") or finding.region
        map_public_ip_set(client("ec2", session=session, region=region), subnet_id, True)
        change = Change(
            "ec2:ModifySubnetAttribute",
            subnet_id,
            "assign public IPv4 addresses on launch again",
            None,
            {"MapPublicIpOnLaunch": True},
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(SubnetNoPublicIpReactor)
