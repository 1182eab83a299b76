"""S3.8 reactor: bucket-level Block Public Access in the member account."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from lambdas.reactors.s3_bucket_public_access_block.reactor import handler
from tests.lambdas.reactors.conftest import rollback, run
from tests.reactor_support import member_finding

pytestmark = pytest.mark.functional
BUCKET = "member-bucket-no-bpa"
ALL_ON = dict.fromkeys(
    ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
)


def _finding() -> dict:
    # No S3.8 sample exists: the real S3.2 sample, pointed at this control and bucket.
    return member_finding(
        "asff_findings/asr_afsbp_s3.2.json",
        resource_id=f"arn:aws:s3:::{BUCKET}",
        control_id="S3.8",
    )


def _config(s3: Any) -> dict | None:
    try:
        return s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    except s3.exceptions.ClientError:
        return None


def test_block_public_access_is_turned_on_and_rolled_back(
    member: boto3.Session, caller: boto3.Session
) -> None:
    s3 = member.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    result = run(handler, _finding())
    assert result["status"] == "changed" and _config(s3) == ALL_ON
    assert BUCKET not in {b["Name"] for b in caller.client("s3").list_buckets()["Buckets"]}
    rollback(handler, _finding(), result)
    assert _config(s3) is None


def test_dry_run_changes_nothing(member: boto3.Session) -> None:
    s3 = member.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    result = run(handler, _finding(), dry_run=True)
    assert result["status"] == "would_change" and _config(s3) is None


def test_previous_partial_settings_come_back(member: boto3.Session) -> None:
    s3 = member.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    partial = {**ALL_ON, "BlockPublicPolicy": False}
    s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration=partial)
    result = run(handler, _finding())
    assert _config(s3) == ALL_ON
    rollback(handler, _finding(), result)
    assert _config(s3) == partial
