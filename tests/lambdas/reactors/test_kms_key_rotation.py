"""KMS.4 reactor: what the scenario harness does not cover (asymmetric keys are refused).
Fix, dry run and rollback: ``scenarios.py``."""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.kms_key_rotation.reactor import handler
from reactor_sdk import ReactorInputError
from tests.lambdas.reactors.conftest import run
from tests.reactor_support import member_finding

pytestmark = pytest.mark.functional


def _finding(key_arn: str) -> dict:
    # No KMS.4 sample exists: the real S3.2 sample, pointed at this control and key.
    return member_finding(
        "asff_findings/asr_afsbp_s3.2.json",
        resource_type="AwsKmsKey",
        resource_id=key_arn,
        control_id="KMS.4",
    )


def test_asymmetric_keys_are_refused(member: boto3.Session) -> None:
    key = member.client("kms").create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ReactorInputError, match="only symmetric customer managed keys"):
        run(handler, _finding(key["Arn"]))
