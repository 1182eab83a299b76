"""Reactor ``alb-deletion-protection`` (AFSBP ELB.6)."""

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

ATTRIBUTE = "deletion_protection.enabled"


def deletion_protection(elbv2: Any, arn: str) -> str:
    """The load balancer's ``deletion_protection.enabled`` attribute ("true" or "false")."""
    attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    values = {a["Key"]: a.get("Value", "") for a in attributes}
    return str(values.get(ATTRIBUTE, "false")).lower()


@reactor
class AlbDeletionProtectionReactor(Reactor):
    """Turn on deletion protection of an Application, Network or Gateway Load Balancer.

    Sets the load balancer attribute deletion_protection.enabled to true, so the load balancer
    cannot be deleted until someone turns the protection off again. Traffic, listeners and
    every other attribute stay as they are; nothing changes when protection is already on.
    Rollback sets the attribute back to the value it had before.
    """

    id = "alb-deletion-protection"
    version = "1.0.0"
    control_ids = ("ELB.6",)
    permissions = (
        Permission(("elasticloadbalancing:DescribeLoadBalancerAttributes",)),
        Permission(
            ("elasticloadbalancing:ModifyLoadBalancerAttributes",),
            ("arn:aws:elasticloadbalancing:*:*:loadbalancer/*",),
        ),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsElbv2LoadBalancer")
        arn = resource.id
        region = resource.region or finding.region
        elbv2 = client("elbv2", session=session, region=region)
        previous = deletion_protection(elbv2, arn)
        if previous == "true":
            return self.result(
                finding, dry_run=dry_run, changes=[], message="deletion protection is on"
            )
        change = Change(
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            arn,
            f"set {ATTRIBUTE} to true",
            {ATTRIBUTE: previous},
            {ATTRIBUTE: "true"},
        )
        if not dry_run:
            elbv2.modify_load_balancer_attributes(
                LoadBalancerArn=arn, Attributes=[{"Key": ATTRIBUTE, "Value": "true"}]
            )
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"load_balancer_arn": arn, "region": region, "previous": previous},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        arn, previous = rollback_data.get("load_balancer_arn"), rollback_data.get("previous")
        if not arn or previous not in ("true", "false"):
            raise ReactorRollbackError(
                f"{self.id}: rollback_data needs load_balancer_arn and previous"
            )
        region = rollback_data.get("region") or finding.region
        elbv2 = client("elbv2", session=session, region=region)
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=arn, Attributes=[{"Key": ATTRIBUTE, "Value": previous}]
        )
        change = Change(
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            arn,
            f"restore {ATTRIBUTE}",
            None,
            {ATTRIBUTE: previous},
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(AlbDeletionProtectionReactor)
