"""Scenarios of ``vpc-flow-logs`` for the harness (`reactor_sdk.testing`): EC2.6.

The VPC has a flow log of accepted traffic only (EC2.6 fails: rejected traffic is not recorded).
"""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

MEMBER_BUCKET = "flow-logs-222222222222"


def vpc_accept_only(session: boto3.Session, account_id: str) -> Target:
    """A VPC whose only flow log records accepted traffic, and a bucket for the reactor's."""
    session.client("s3").create_bucket(Bucket=f"flow-logs-{account_id}")
    accepted = f"accepted-flow-logs-{account_id}"
    session.client("s3").create_bucket(Bucket=accepted)
    ec2 = session.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    created = ec2.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="ACCEPT",
        LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::{accepted}",
    )
    assert not created.get("Unsuccessful"), created
    region = session.region_name
    return Target(f"arn:aws:ec2:{region}:{account_id}:vpc/{vpc_id}", "AwsEc2Vpc", {})


def _flow_logs(session: boto3.Session, target: Target) -> Any:
    vpc_id = target.resource_id.rsplit("/", 1)[-1]
    found = session.client("ec2").describe_flow_logs(
        Filters=[{"Name": "resource-id", "Values": [vpc_id]}]
    )["FlowLogs"]
    return sorted(
        ({"TrafficType": f["TrafficType"], "LogDestination": f["LogDestination"]} for f in found),
        key=lambda f: (f["TrafficType"], f["LogDestination"]),
    )


SCENARIOS = [
    Scenario(
        "EC2.6",
        "asff_findings/asr_afsbp_ec2.2.json",
        vpc_accept_only,
        _flow_logs,
        lambda state: any(f["TrafficType"] in ("REJECT", "ALL") for f in state),
        params={"log_bucket_arn": f"arn:aws:s3:::{MEMBER_BUCKET}"},
    ),
]
