"""Reactor ``ec2-imdsv2`` (AFSBP EC2.8)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
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

#: The CloudWatch metric that counts IMDSv1 calls (made without a session token).
IMDSV1_METRIC = "MetadataNoToken"
DAY = 86400


def imdsv1_calls(cloudwatch: Any, instance_id: str, days: int) -> float:
    """How many metadata calls without a token ``instance_id`` made in the last ``days`` days."""
    end = datetime.now(UTC)
    stats = cloudwatch.get_metric_statistics(
        Namespace="AWS/EC2",
        MetricName=IMDSV1_METRIC,
        Dimensions=[{"Name": "InstanceId", "Value": instance_id}],
        StartTime=end - timedelta(days=days),
        EndTime=end,
        Period=DAY,
        Statistics=["Sum"],
    )
    return float(sum(point.get("Sum", 0) for point in stats.get("Datapoints", [])))


@reactor
class Ec2Imdsv2Reactor(Reactor):
    """Require IMDSv2 (session tokens) on an EC2 instance's metadata service.

    Sets the instance's metadata option HttpTokens to "required", so the instance metadata
    service answers only requests that carry a session token (IMDSv2); the other metadata
    options (endpoint on or off, hop limit, tags in metadata) stay as they are.

    Safety precheck: software on the instance that still calls the metadata service without a
    token (IMDSv1) breaks once tokens are required. Before changing anything, even in a dry
    run, the reactor reads the instance's CloudWatch metric AWS/EC2 MetadataNoToken over the
    last "lookback_days" days (14 by default) and refuses when it is not zero, naming the
    count; set "force" to true to apply anyway. An instance without that metric (no IMDSv1
    calls recorded) passes. Recommended mode: dry run first for fleets you do not own.

    Rollback sets HttpTokens back to its previous value ("optional").
    """

    id = "ec2-imdsv2"
    version = "1.0.0"
    recommended_mode = "dry_run"
    control_ids = ("EC2.8",)
    permissions = (
        Permission(("ec2:DescribeInstances", "cloudwatch:GetMetricStatistics")),
        Permission(("ec2:ModifyInstanceMetadataOptions",), ("arn:aws:ec2:*:*:instance/*",)),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "force": {
                "type": "boolean",
                "default": False,
                "description": "require tokens even when the instance made IMDSv1 calls lately",
            },
            "lookback_days": {
                "type": "integer",
                "minimum": 1,
                "maximum": 63,
                "default": 14,
                "description": "days of the MetadataNoToken metric the precheck reads",
            },
        },
    }

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsEc2Instance")
        instance_id, region = resource.name, resource.region or finding.region
        ec2 = client("ec2", session=session, region=region)
        reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        instances = [i for r in reservations for i in r.get("Instances", [])]
        if not instances:
            raise ReactorError(f"instance {instance_id} not found in {region}")
        tokens = instances[0].get("MetadataOptions", {}).get("HttpTokens", "optional")
        if tokens == "required":
            return self.result(finding, dry_run=dry_run, changes=[], message="IMDSv2 required")
        if not params["force"]:
            days = int(params["lookback_days"])
            cloudwatch = client("cloudwatch", session=session, region=region)
            calls = imdsv1_calls(cloudwatch, instance_id, days)
            if calls > 0:
                reason = (
                    f"instance {instance_id} made {calls:g} metadata call(s) without a token "
                    f"(IMDSv1, metric {IMDSV1_METRIC}) in the last {days} days"
                )
                raise ReactorError(
                    f"refused: {reason}; requiring IMDSv2 would break that software. "
                    "Move it to IMDSv2 first, or pass force=true"
                )
        change = Change(
            "ec2:ModifyInstanceMetadataOptions",
            resource.id,
            "require IMDSv2 session tokens (HttpTokens=required)",
            {"HttpTokens": tokens},
            {"HttpTokens": "required"},
        )
        if not dry_run:
            ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens="required")
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"instance_id": instance_id, "region": region, "http_tokens": tokens},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        instance_id, tokens = rollback_data.get("instance_id"), rollback_data.get("http_tokens")
        if not instance_id or tokens not in ("optional", "required"):
            raise ReactorRollbackError(
                f"{self.id}: rollback_data needs instance_id and http_tokens"
            )
        ec2 = client("ec2", session=session, region=rollback_data.get("region") or finding.region)
        ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens=tokens)
        change = Change(
            "ec2:ModifyInstanceMetadataOptions",
            str(instance_id),
            f"restore HttpTokens={tokens}",
            {"HttpTokens": "required"},
            {"HttpTokens": tokens},
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(Ec2Imdsv2Reactor)
