"""EC2.7 reactor: EBS encryption by default in the member account's region."""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.ec2_ebs_default_encryption.reactor import handler
from tests.lambdas.reactors.conftest import rollback, run
from tests.reactor_support import MEMBER, member_finding

pytestmark = pytest.mark.functional


def _finding() -> dict:
    # The real "Findings - Imported" event for EC2.7 (its first finding), moved to the member.
    finding = member_finding("eventbridge_events/asr_imported_afsbp_ec2.7.json")
    assert finding["Resources"][0]["Id"] == f"AWS::::Account:{MEMBER}"
    return finding


def _enabled(session: boto3.Session) -> bool:
    return bool(session.client("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"])


def test_encryption_by_default_is_turned_on_and_off(
    member: boto3.Session, caller: boto3.Session
) -> None:
    assert not _enabled(member)
    result = run(handler, _finding())
    assert result["status"] == "changed" and _enabled(member)
    assert not _enabled(caller)
    assert run(handler, _finding())["status"] == "unchanged"
    rollback(handler, _finding(), result)
    assert not _enabled(member)


def test_dry_run_changes_nothing(member: boto3.Session) -> None:
    result = run(handler, _finding(), dry_run=True)
    assert result["status"] == "would_change" and not _enabled(member)
