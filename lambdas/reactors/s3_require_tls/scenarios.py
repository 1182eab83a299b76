"""Scenarios of ``s3-require-tls`` for the harness (`reactor_sdk.testing`): S3.5."""

from __future__ import annotations

import json
from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def _no_policy(session: boto3.Session, account_id: str) -> Target:
    """A bucket without a policy (the reactor creates one; rollback deletes it)."""
    bucket = f"no-policy-{account_id}"
    session.client("s3").create_bucket(Bucket=bucket)
    return Target(f"arn:aws:s3:::{bucket}", "AwsS3Bucket")


def _bucket(session: boto3.Session, account_id: str) -> Target:
    """A bucket whose policy grants the owner read access and nothing about transport."""
    bucket = f"no-tls-{account_id}"
    s3 = session.client("s3")
    s3.create_bucket(Bucket=bucket)
    owner = {
        "Sid": "Owner",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [owner]})
    )
    return Target(f"arn:aws:s3:::{bucket}", "AwsS3Bucket")


def _policy(session: boto3.Session, target: Target) -> Any:
    """The bucket policy, or None when the bucket has none."""
    bucket = target.resource_id.rsplit(":", 1)[-1]
    s3 = session.client("s3")
    try:
        return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchBucketPolicy":
            return None
        raise


def _denies_plain_http(policy: Any) -> bool:
    return policy is not None and any(
        s.get("Effect") == "Deny"
        and (s.get("Condition") or {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for s in policy["Statement"]
    )


def _denies_plain_http_keeps_owner(policy: Any) -> bool:
    """The deny is added after the statements the bucket had, which stay."""
    return _denies_plain_http(policy) and policy["Statement"][0]["Sid"] == "Owner"


SAMPLE = "asff_findings/asr_afsbp_s3.5.json"

SCENARIOS = [
    Scenario("S3.5", SAMPLE, _bucket, _policy, _denies_plain_http_keeps_owner),
    Scenario("S3.5", SAMPLE, _no_policy, _policy, _denies_plain_http, name="no-policy"),
]
