"""S3.5 reactor: deny insecure transport, keep the policy (member account)."""

from __future__ import annotations

import json

import boto3
import pytest

from lambdas.reactors.s3_require_tls.reactor import SID, handler
from tests.lambdas.reactors.conftest import rollback, run
from tests.reactor_support import MEMBER, member_finding

pytestmark = pytest.mark.functional
BUCKET = "member-bucket-no-tls"
OWNER = {
    "Sid": "Owner",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"},
    "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{BUCKET}/*",
}


def _finding() -> dict:
    finding = member_finding(
        "asff_findings/asr_afsbp_s3.5.json", resource_id=f"arn:aws:s3:::{BUCKET}"
    )
    assert finding["AwsAccountId"] == MEMBER  # the sample's 111122223333, moved
    return finding


def test_tls_statement_is_added_and_rolled_back(member: boto3.Session) -> None:
    s3 = member.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    original = json.dumps({"Version": "2012-10-17", "Statement": [OWNER]})
    s3.put_bucket_policy(Bucket=BUCKET, Policy=original)
    result = run(handler, _finding())
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["Owner", SID]
    deny = policy["Statement"][1]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert run(handler, _finding())["status"] == "unchanged"  # idempotent
    rollback(handler, _finding(), result)
    assert s3.get_bucket_policy(Bucket=BUCKET)["Policy"] == original


def test_bucket_without_policy_gets_one_and_loses_it_on_rollback(member: boto3.Session) -> None:
    s3 = member.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    result = run(handler, _finding())
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == [SID]
    rollback(handler, _finding(), result)
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=BUCKET)


def test_dry_run_changes_nothing(member: boto3.Session) -> None:
    s3 = member.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    result = run(handler, _finding(), dry_run=True)
    assert result["status"] == "would_change" and result["changes"][0]["after"]["Sid"] == SID
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=BUCKET)
