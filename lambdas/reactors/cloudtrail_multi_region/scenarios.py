"""Scenarios of ``cloudtrail-multi-region`` for the harness (`reactor_sdk.testing`).

CloudTrail.1: the account logs with a single-Region trail only (so CloudTrail.3 passes, .1
fails); CloudTrail.3: the account has no trail at all.
"""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def no_trail(session: boto3.Session, account_id: str) -> Target:
    """An account without any trail."""
    return Target(f"AWS::::Account:{account_id}", "AwsAccount", {})


def single_region_trail(session: boto3.Session, account_id: str) -> Target:
    """An account whose only trail logs in one Region."""
    bucket = f"single-region-trail-{account_id}"
    session.client("s3").create_bucket(Bucket=bucket)
    cloudtrail = session.client("cloudtrail")
    cloudtrail.create_trail(Name="local", S3BucketName=bucket, IsMultiRegionTrail=False)
    cloudtrail.start_logging(Name="local")
    return no_trail(session, account_id)


def _trails(session: boto3.Session, target: Target) -> Any:
    cloudtrail = session.client("cloudtrail")
    return sorted(
        (
            {
                "Name": trail["Name"],
                "IsMultiRegionTrail": trail["IsMultiRegionTrail"],
                "IsLogging": cloudtrail.get_trail_status(Name=trail["TrailARN"])["IsLogging"],
            }
            for trail in cloudtrail.describe_trails()["trailList"]
        ),
        key=lambda t: str(t["Name"]),
    )


def _multi_region_logging(state: Any) -> bool:
    return any(t["IsMultiRegionTrail"] and t["IsLogging"] for t in state)


def _logging(state: Any) -> bool:
    return any(t["IsLogging"] for t in state)


SAMPLE = "asff_findings/asr_afsbp_cloudtrail.1.json"
SCENARIOS = [
    Scenario("CloudTrail.1", SAMPLE, single_region_trail, _trails, _multi_region_logging),
    Scenario("CloudTrail.3", SAMPLE, no_trail, _trails, _logging),
]
