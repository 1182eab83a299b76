"""Scenarios of ``s3-public-read`` for the harness (`reactor_sdk.testing`): S3.2."""

from __future__ import annotations

import json
from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def _statements(bucket: str, account_id: str) -> dict[str, dict[str, Any]]:
    objects = f"arn:aws:s3:::{bucket}/*"
    return {
        "public": {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:GetObject"],
            "Resource": objects,
        },
        "owner": {
            "Sid": "OwnerFullAccess",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", objects],
        },
        "vpce": {
            "Sid": "ReadFromVpce",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": objects,
            "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        },
    }


def _bucket(session: boto3.Session, account_id: str, kind: str, sids: tuple[str, ...]) -> Target:
    bucket = f"public-{kind}-{account_id}"
    statements = _statements(bucket, account_id)
    s3 = session.client("s3")
    s3.create_bucket(Bucket=bucket)
    policy = {"Version": "2012-10-17", "Statement": [statements[s] for s in sids]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return Target(f"arn:aws:s3:::{bucket}", "AwsS3Bucket")


def mixed_policy(session: boto3.Session, account_id: str) -> Target:
    """Public read beside the owner's access and a read limited to a VPC endpoint (both stay)."""
    return _bucket(session, account_id, "mixed", ("public", "owner", "vpce"))


def public_only(session: boto3.Session, account_id: str) -> Target:
    """A policy of only the public-read statement (the reactor deletes the policy)."""
    return _bucket(session, account_id, "only", ("public",))


def policy_statements(session: boto3.Session, target: Target) -> Any:
    """The bucket policy's statements, or None when it has no policy."""
    s3 = session.client("s3")
    try:
        text = s3.get_bucket_policy(Bucket=target.resource_id.rsplit(":", 1)[-1])["Policy"]
    except s3.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchBucketPolicy":
            return None
        raise
    return json.loads(text)["Statement"]


def _unconditional_public(statement: dict[str, Any]) -> bool:
    principal = statement.get("Principal")
    return (
        statement.get("Effect") == "Allow"
        and principal in ("*", {"AWS": "*"}, {"AWS": ["*"]})
        and not statement.get("Condition")
    )


def no_public_read_mixed(statements: Any) -> bool:
    """No public statement left; the owner's and the VPC endpoint's stayed."""
    return bool(statements) and [s["Sid"] for s in statements] == [
        "OwnerFullAccess",
        "ReadFromVpce",
    ]


def no_public_read(statements: Any) -> bool:
    """No unconditional public statement (no policy at all counts)."""
    return not any(_unconditional_public(s) for s in statements or [])


SAMPLE = "asff_findings/asr_afsbp_s3.2.json"

SCENARIOS = [
    Scenario("S3.2", SAMPLE, mixed_policy, policy_statements, no_public_read_mixed, name="mixed"),
    Scenario("S3.2", SAMPLE, public_only, policy_statements, no_public_read, name="public-only"),
]
