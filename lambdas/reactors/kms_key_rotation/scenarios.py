"""Scenarios of ``kms-key-rotation`` for the harness (`reactor_sdk.testing`): KMS.4."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def symmetric_key(session: boto3.Session, account_id: str) -> Target:
    """A symmetric customer managed key without automatic rotation."""
    key = session.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]
    return Target(key["Arn"], "AwsKmsKey")


def rotation(session: boto3.Session, target: Target) -> Any:
    """Whether the key rotates automatically."""
    kms = session.client("kms", region_name="us-east-1")
    return bool(kms.get_key_rotation_status(KeyId=target.resource_id)["KeyRotationEnabled"])


def rotating(value: Any) -> bool:
    """The control passes when rotation is on."""
    return value is True


#: No KMS.4 sample exists: the real S3.2 sample, pointed at the key.
SCENARIOS = [
    Scenario("KMS.4", "asff_findings/asr_afsbp_s3.2.json", symmetric_key, rotation, rotating),
]
