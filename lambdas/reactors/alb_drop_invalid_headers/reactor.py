"""Reactor ``alb-drop-invalid-headers`` (AFSBP ELB.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

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

ATTRIBUTE = "routing.http.drop_invalid_header_fields.enabled"


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


@reactor
class AlbDropInvalidHeadersReactor(Reactor):
    """Make an Application Load Balancer drop HTTP headers with invalid names.

    Turns on the load balancer attribute routing.http.drop_invalid_header_fields.enabled:
    the load balancer then removes, before routing, every header whose name is not valid
    under RFC 7230 (letters, digits and hyphens), which closes HTTP desync and header
    smuggling tricks. Valid headers pass as before; a client that sends headers with, for
    example, underscores in their names stops seeing them reach the targets, so check the dry
    run against applications that rely on such headers. Only Application Load Balancers have
    this attribute: others are refused. Rollback sets the attribute back to its previous value.
    """

    id = "alb-drop-invalid-headers"
    version = "1.0.0"
    control_ids = ("ELB.4",)
    permissions = (
        Permission(
            (
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
            )
        ),
        Permission(
            ("elasticloadbalancing:ModifyLoadBalancerAttributes",),
            ("arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",),
        ),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        arn = finding.resource("AwsElbv2LoadBalancer").id
        region = _region(arn, finding.region)
        elbv2 = client("elbv2", session=session, region=region)
        found = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]
        if found.get("Type", "application") != "application":
            raise ReactorError(
                f"{arn} is a {found['Type']} load balancer: only Application Load Balancers "
                "can drop invalid header fields"
            )
        attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
        previous = next((a["Value"] for a in attributes if a["Key"] == ATTRIBUTE), "false")
        if previous == "true":
            return self.result(finding, dry_run=dry_run, changes=[], message="already dropping")
        change = Change(
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            arn,
            "drop HTTP headers with invalid names",
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
            rollback_data={"arn": arn, "region": region, "previous": previous},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        arn, previous = rollback_data.get("arn"), rollback_data.get("previous")
        if not arn or previous not in ("true", "false"):
            raise ReactorRollbackError(f"{self.id}: rollback_data needs arn and previous")
        region = rollback_data.get("region") or _region(arn, finding.region)
        elbv2 = client("elbv2", session=session, region=region)
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=arn, Attributes=[{"Key": ATTRIBUTE, "Value": previous}]
        )
        change = Change(
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            arn,
            "restore the previous header handling",
            {ATTRIBUTE: "true"},
            {ATTRIBUTE: previous},
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(AlbDropInvalidHeadersReactor)
