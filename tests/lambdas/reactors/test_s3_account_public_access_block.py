"""S3.1 reactor: what the scenario harness does not cover (a parameter that leaves one
setting off, an account already blocked). Fix, dry run and rollback: ``scenarios.py``."""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.s3_account_public_access_block.reactor import handler
from tests.lambdas.reactors.conftest import rollback, run
from tests.reactor_support import MEMBER, member_finding

pytestmark = pytest.mark.functional
ALL_ON = dict.fromkeys(
    ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
)


def _finding() -> dict:
    return member_finding("asff_findings/asr_afsbp_s3.1.json")


def _config(session: boto3.Session, account: str) -> dict | None:
    s3control = session.client("s3control")
    try:
        return s3control.get_public_access_block(AccountId=account)[
            "PublicAccessBlockConfiguration"
        ]
    except s3control.exceptions.NoSuchPublicAccessBlockConfiguration:
        return None


def test_partial_configuration_is_completed_and_restored(member: boto3.Session) -> None:
    partial = {**ALL_ON, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    member.client("s3control").put_public_access_block(
        AccountId=MEMBER, PublicAccessBlockConfiguration=partial
    )
    result = run(handler, _finding(), params={"restrict_public_buckets": False})
    assert _config(member, MEMBER) == {**ALL_ON, "RestrictPublicBuckets": False}
    rollback(handler, _finding(), result)
    assert _config(member, MEMBER) == partial


def test_already_blocked_is_unchanged(member: boto3.Session) -> None:
    member.client("s3control").put_public_access_block(
        AccountId=MEMBER, PublicAccessBlockConfiguration=ALL_ON
    )
    assert run(handler, _finding())["status"] == "unchanged"
