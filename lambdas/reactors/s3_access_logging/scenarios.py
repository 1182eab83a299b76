"""Scenarios of ``s3-access-logging`` for the harness (`reactor_sdk.testing`): S3.9 and
CloudTrail.7."""

from __future__ import annotations

import json
from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def log_bucket(session: boto3.Session, name: str) -> None:
    """A bucket whose policy lets the S3 logging service deliver access logs."""
    s3 = session.client("s3")
    s3.create_bucket(Bucket=name)
    statement = {
        "Sid": "S3ServerAccessLogsPolicy",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": ["s3:PutObject"],
        "Resource": f"arn:aws:s3:::{name}/*",
    }
    s3.put_bucket_policy(
        Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )


def unlogged_bucket(session: boto3.Session, account_id: str) -> Target:
    bucket = f"unlogged-{account_id}"
    session.client("s3").create_bucket(Bucket=bucket)
    log_bucket(session, f"s3-access-logs-{account_id}-us-east-1")
    return Target(f"arn:aws:s3:::{bucket}", "AwsS3Bucket")


def _bucket_logging(session: boto3.Session, target: Target) -> Any:
    bucket = target.resource_id.rsplit(":", 1)[-1]
    return session.client("s3").get_bucket_logging(Bucket=bucket).get("LoggingEnabled")


def _trail(session: boto3.Session, account_id: str) -> Target:
    bucket = f"trail-logs-{account_id}"
    s3 = session.client("s3")
    s3.create_bucket(Bucket=bucket)
    statements = [
        {
            "Sid": "AWSCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": f"arn:aws:s3:::{bucket}",
        },
        {
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{account_id}/*",
        },
    ]
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements})
    )
    log_bucket(session, f"central-access-logs-{account_id}")
    trail = session.client("cloudtrail").create_trail(Name="main", S3BucketName=bucket)
    return Target(trail["TrailARN"], "AwsCloudTrailTrail", details={})


def _trail_bucket_logging(session: boto3.Session, target: Target) -> Any:
    trail = session.client("cloudtrail").get_trail(Name=target.resource_id)["Trail"]
    found = session.client("s3").get_bucket_logging(Bucket=trail["S3BucketName"])
    return found.get("LoggingEnabled")


def _logs(state: Any) -> bool:
    return bool(state and state.get("TargetBucket"))


SCENARIOS = [
    Scenario("S3.9", "asff_findings/asr_afsbp_s3.5.json", unlogged_bucket, _bucket_logging, _logs),
    Scenario(
        "CloudTrail.7",
        "asff_findings/asr_afsbp_cloudtrail.1.json",
        _trail,
        _trail_bucket_logging,
        _logs,
        params={
            "target_bucket": "central-access-logs-{account_id}",
            "target_prefix": "cloudtrail/{bucket}/",
        },
    ),
]
