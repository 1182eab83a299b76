"""Scenarios of ``cloudtrail-log-validation`` for the harness (`reactor_sdk.testing`):
CloudTrail.4."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def trail(session: boto3.Session, account_id: str) -> Target:
    """A trail without log file validation."""
    bucket = f"trail-logs-{account_id}"
    session.client("s3").create_bucket(Bucket=bucket)
    cloudtrail = session.client("cloudtrail", region_name="us-east-1")
    arn = cloudtrail.create_trail(Name="org-trail", S3BucketName=bucket)["TrailARN"]
    return Target(str(arn), "AwsCloudTrailTrail")


def validation(session: boto3.Session, target: Target) -> Any:
    """Whether the trail validates its log files."""
    cloudtrail = session.client("cloudtrail", region_name="us-east-1")
    return bool(cloudtrail.get_trail(Name=target.resource_id)["Trail"]["LogFileValidationEnabled"])


def validating(value: Any) -> bool:
    """The control passes when log file validation is on."""
    return value is True


#: The real AWS docs sample for CloudTrail.2 (a trail finding), pointed at CloudTrail.4.
SAMPLE = "asff_findings/docs_fsbp_cloudtrail.2_standard_control.json"

SCENARIOS = [Scenario("CloudTrail.4", SAMPLE, trail, validation, validating)]
