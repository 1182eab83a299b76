"""Scenarios of ``cloudtrail-kms`` for the harness (`reactor_sdk.testing`): CloudTrail.2."""

from __future__ import annotations

import json
from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

ALIAS = "alias/cloudtrail-logs"


def _key_policy(account_id: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Owner",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudTrailEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
            },
        ],
    }


def _plain_trail(session: boto3.Session, account_id: str) -> Target:
    bucket = f"trail-logs-{account_id}"
    session.client("s3").create_bucket(Bucket=bucket)
    kms = session.client("kms")
    key = kms.create_key(Policy=json.dumps(_key_policy(account_id)))["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key)
    trail = session.client("cloudtrail").create_trail(Name="plain", S3BucketName=bucket)
    return Target(trail["TrailARN"], "AwsCloudTrailTrail", {})


def _encryption(session: boto3.Session, target: Target) -> Any:
    trail = session.client("cloudtrail").get_trail(Name=target.resource_id)["Trail"]
    return {"KmsKeyId": trail.get("KmsKeyId") or None}


SCENARIOS = [
    Scenario(
        "CloudTrail.2",
        "asff_findings/docs_fsbp_cloudtrail.2_standard_control.json",
        _plain_trail,
        _encryption,
        lambda state: bool(state["KmsKeyId"]),
        {"kms_key_id": ALIAS},
    ),
]
