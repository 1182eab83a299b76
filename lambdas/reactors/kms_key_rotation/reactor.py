"""Reactor ``kms-key-rotation`` (AFSBP KMS.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorInputError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


@reactor
class KmsKeyRotationReactor(Reactor):
    """Turn on automatic yearly rotation of a customer managed KMS key.

    KMS then creates new key material every year and keeps the old material to decrypt what
    it encrypted; key id, ARN, policy and aliases do not change. Only enabled, symmetric,
    customer managed keys with KMS-generated material can rotate: the reactor refuses the
    others. Rollback turns automatic rotation off again.
    """

    id = "kms-key-rotation"
    version = "1.0.0"
    control_ids = ("KMS.4",)
    permissions = (
        Permission(
            (
                "kms:DescribeKey",
                "kms:GetKeyRotationStatus",
                "kms:EnableKeyRotation",
                "kms:DisableKeyRotation",
            ),
            ("arn:aws:kms:*:*:key/*",),
        ),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsKmsKey")
        kms = client("kms", session=session, region=_region(resource.id, finding.region))
        key = kms.describe_key(KeyId=resource.name)["KeyMetadata"]
        if key.get("KeyManager") != "CUSTOMER" or key.get("KeySpec") != "SYMMETRIC_DEFAULT":
            raise ReactorInputError(f"{resource.name}: only symmetric customer managed keys rotate")
        if key.get("Origin", "AWS_KMS") != "AWS_KMS" or key.get("KeyState") != "Enabled":
            raise ReactorInputError(f"{resource.name}: imported or disabled keys cannot rotate")
        if kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]:
            return self.result(finding, dry_run=dry_run, changes=[], message="already rotating")
        change = Change("kms:EnableKeyRotation", key["Arn"], "turn on yearly rotation", False, True)
        if not dry_run:
            kms.enable_key_rotation(KeyId=key["KeyId"])
        return self.result(
            finding, dry_run=dry_run, changes=[change], rollback_data={"key_arn": key["Arn"]}
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        arn = rollback_data.get("key_arn")
        if not arn:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs key_arn")
        kms = client("kms", session=session, region=_region(arn, finding.region))
        kms.disable_key_rotation(KeyId=arn.rsplit("/", 1)[-1])
        change = Change("kms:DisableKeyRotation", arn, "turn yearly rotation off", True, False)
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(KmsKeyRotationReactor)
