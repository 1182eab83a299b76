"""Reactor ``vpc-flow-logs`` (AFSBP EC2.6)."""

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

#: Flow logs that satisfy EC2.6: they record at least the rejected traffic.
PASSING_TRAFFIC = ("REJECT", "ALL")


@reactor
class VpcFlowLogsReactor(Reactor):
    """Turn on flow logging for a VPC, delivered to an S3 bucket.

    Creates a flow log for the finding's VPC that records the traffic named by "traffic_type"
    (REJECT by default, what EC2.6 requires; ALL records accepted traffic too, at a higher
    cost) and delivers it to the S3 bucket (or bucket/prefix) ARN given in "log_bucket_arn".
    That parameter has no default: the reactor refuses until it is set. The bucket's policy
    must let the log delivery service (delivery.logs.amazonaws.com) write, as the AWS
    documentation on flow logs to S3 describes; the reactor does not change bucket policies.
    Nothing changes when the VPC already has a flow log recording rejected or all traffic.
    Rollback deletes the flow log it created (logs already delivered stay in the bucket).
    """

    id = "vpc-flow-logs"
    version = "1.0.0"
    control_ids = ("EC2.6",)
    permissions = (
        Permission(("ec2:DescribeFlowLogs", "logs:CreateLogDelivery", "logs:DeleteLogDelivery")),
        Permission(
            ("ec2:CreateFlowLogs",),
            ("arn:aws:ec2:*:*:vpc-flow-log/*", "arn:aws:ec2:*:*:vpc/*"),
        ),
        Permission(("ec2:DeleteFlowLogs",), ("arn:aws:ec2:*:*:vpc-flow-log/*",)),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "log_bucket_arn": {
                "type": "string",
                "pattern": r"^$|^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?$",
                "default": "",
                "description": "ARN of the S3 bucket (optionally /prefix) receiving the logs",
            },
            "traffic_type": {
                "type": "string",
                "enum": list(PASSING_TRAFFIC),
                "default": "REJECT",
                "description": "traffic to record: REJECT (what EC2.6 asks) or ALL",
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
        resource = finding.resource("AwsEc2Vpc")
        vpc_id, region = resource.name, resource.region or finding.region
        ec2 = client("ec2", session=session, region=region)
        existing = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])
        passing = [
            f["FlowLogId"]
            for f in existing.get("FlowLogs", [])
            if f.get("TrafficType") in PASSING_TRAFFIC
        ]
        if passing:
            return self.result(
                finding, dry_run=dry_run, changes=[], message=f"flow log {passing[0]}"
            )
        destination = str(params["log_bucket_arn"])
        if not destination:
            raise ReactorError(
                "refused: set the log_bucket_arn parameter (the S3 bucket that receives the "
                "flow logs) in the control's configuration"
            )
        settings = {"TrafficType": params["traffic_type"], "LogDestination": destination}
        change = Change(
            "ec2:CreateFlowLogs",
            resource.id,
            f"log {params['traffic_type']} traffic to {destination}",
            None,
            {**settings, "LogDestinationType": "s3"},
        )
        flow_log_ids: list[str] = []
        if not dry_run:
            try:
                created = ec2.create_flow_logs(
                    ResourceIds=[vpc_id], ResourceType="VPC", LogDestinationType="s3", **settings
                )
            except ec2.exceptions.ClientError as exc:
                raise ReactorError(f"cannot create the flow log of {vpc_id}: {exc}") from exc
            if created.get("Unsuccessful"):
                error = created["Unsuccessful"][0].get("Error", {})
                raise ReactorError(f"cannot create the flow log of {vpc_id}: {error}")
            flow_log_ids = list(created["FlowLogIds"])
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"region": region, "vpc_id": vpc_id, "flow_log_ids": flow_log_ids},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        ids = rollback_data.get("flow_log_ids")
        if not ids or not isinstance(ids, list):
            raise ReactorRollbackError(f"{self.id}: rollback_data needs flow_log_ids")
        ec2 = client("ec2", session=session, region=rollback_data.get("region") or finding.region)
        ec2.delete_flow_logs(FlowLogIds=ids)
        change = Change(
            "ec2:DeleteFlowLogs",
            str(rollback_data.get("vpc_id") or ids[0]),
            f"delete flow log(s) {', '.join(ids)}",
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(VpcFlowLogsReactor)
