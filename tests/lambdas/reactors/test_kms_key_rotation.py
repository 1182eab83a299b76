"""KMS.4 reactor: automatic rotation of a member account's key."""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.kms_key_rotation.reactor import handler
from reactor_sdk import ReactorInputError
from tests.lambdas.reactors.conftest import rollback, run
from tests.reactor_support import MEMBER, member_finding

pytestmark = pytest.mark.functional


def _finding(key_arn: str) -> dict:
    # No KMS.4 sample exists: the real S3.2 sample, pointed at this control and key.
    return member_finding(
        "asff_findings/asr_afsbp_s3.2.json",
        resource_type="AwsKmsKey",
        resource_id=key_arn,
        control_id="KMS.4",
    )


def test_rotation_is_turned_on_and_off(member: boto3.Session, caller: boto3.Session) -> None:
    kms = member.client("kms")
    key = kms.create_key()["KeyMetadata"]
    assert key["Arn"].split(":")[4] == MEMBER
    result = run(handler, _finding(key["Arn"]))
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    assert caller.client("kms").list_keys()["Keys"] == []
    assert run(handler, _finding(key["Arn"]))["status"] == "unchanged"
    rollback(handler, _finding(key["Arn"]), result)
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_dry_run_changes_nothing(member: boto3.Session) -> None:
    kms = member.client("kms")
    key = kms.create_key()["KeyMetadata"]
    result = run(handler, _finding(key["Arn"]), dry_run=True)
    assert result["status"] == "would_change"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_asymmetric_keys_are_refused(member: boto3.Session) -> None:
    key = member.client("kms").create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ReactorInputError, match="only symmetric customer managed keys"):
        run(handler, _finding(key["Arn"]))
