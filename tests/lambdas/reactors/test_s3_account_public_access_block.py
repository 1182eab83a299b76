"""S3.1 reactor: account-level Block Public Access, in the member account only."""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.s3_account_public_access_block.reactor import handler
from tests.lambdas.reactors.conftest import rollback, run
from tests.reactor_support import CALLER, MEMBER, member_finding

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


def test_block_public_access_is_turned_on_and_rolled_back(
    member: boto3.Session, caller: boto3.Session
) -> None:
    assert _finding()["Resources"][0]["Id"] == f"AWS::::Account:{MEMBER}"
    assert _config(member, MEMBER) is None
    result = run(handler, _finding())
    assert result["status"] == "changed"
    assert _config(member, MEMBER) == ALL_ON
    assert _config(caller, CALLER) is None  # the caller's account is untouched
    rollback(handler, _finding(), result)
    assert _config(member, MEMBER) is None


def test_dry_run_changes_nothing(member: boto3.Session) -> None:
    result = run(handler, _finding(), dry_run=True)
    assert result["status"] == "would_change" and result["changes"][0]["after"] == ALL_ON
    assert _config(member, MEMBER) is None


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
