"""S3.2 reactor: what the scenario harness does not cover (a compliant bucket, bad rollback
data, what counts as public read). Fix, dry run and rollback: ``scenarios.py``."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from lambdas.reactors.s3_public_read.reactor import handler, public_read
from reactor_sdk import ReactorRollbackError
from tests.lambdas.reactors.conftest import run
from tests.reactor_support import BUCKET, OWNER, PUBLIC, member_finding

pytestmark = pytest.mark.functional
VPC_ONLY = {
    "Sid": "ReadFromVpce",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{BUCKET}/*",
    "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
}


def _finding() -> dict:
    return member_finding("asff_findings/asr_afsbp_s3.2.json", resource_id=f"arn:aws:s3:::{BUCKET}")


def _bucket(member: boto3.Session, *statements: dict) -> tuple[Any, str]:
    s3 = member.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    policy = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    s3.put_bucket_policy(Bucket=BUCKET, Policy=policy)
    return s3, policy


def _sids(s3: Any) -> list[str]:
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    return [s["Sid"] for s in policy["Statement"]]


def test_compliant_bucket_is_unchanged(member: boto3.Session) -> None:
    s3, original = _bucket(member, OWNER, VPC_ONLY)
    result = run(handler, _finding())
    assert result["status"] == "unchanged" and result["rollback_data"] == {}
    assert s3.get_bucket_policy(Bucket=BUCKET)["Policy"] == original


def test_rollback_needs_its_data(member: boto3.Session) -> None:
    with pytest.raises(ReactorRollbackError):
        run(handler, _finding(), operation="rollback", rollback_data={"bucket": BUCKET})


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        (PUBLIC, True),
        ({**PUBLIC, "Principal": {"AWS": "*"}}, True),
        ({**PUBLIC, "Principal": {"AWS": ["*"]}, "Action": "s3:*"}, True),
        ({**PUBLIC, "Action": "s3:PutObject"}, False),
        ({**PUBLIC, "Effect": "Deny"}, False),
        (VPC_ONLY, False),
        (OWNER, False),
    ],
)
def test_what_counts_as_public_read(statement: dict, public: bool) -> None:
    assert public_read(statement) is public
