"""Reactor ``ec2-ebs-default-encryption`` (AFSBP EC2.7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)


@reactor
class Ec2EbsDefaultEncryptionReactor(Reactor):
    """Turn on EBS encryption by default in the finding's account and region.

    New EBS volumes and snapshot copies are then encrypted with the region's default EBS key
    (the AWS managed key aws/ebs unless the account chose another). Existing volumes are not
    changed. Rollback turns encryption by default off again, only if it was off before.
    """

    id = "ec2-ebs-default-encryption"
    version = "1.0.0"
    control_ids = ("EC2.7",)
    permissions = (
        Permission(
            (
                "ec2:GetEbsEncryptionByDefault",
                "ec2:EnableEbsEncryptionByDefault",
                "ec2:DisableEbsEncryptionByDefault",
            )
        ),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        ec2 = client("ec2", session=session, region=finding.region)
        if ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"]:
            return self.result(finding, dry_run=dry_run, changes=[], message="already on")
        change = Change(
            "ec2:EnableEbsEncryptionByDefault",
            f"arn:aws:ec2:{finding.region}:{finding.account_id}:ebs-default-encryption",
            f"turn on EBS encryption by default in {finding.region}",
            False,
            True,
        )
        if not dry_run:
            ec2.enable_ebs_encryption_by_default()
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"region": finding.region, "was_enabled": False},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        if rollback_data.get("was_enabled") is not False or not rollback_data.get("region"):
            raise ReactorRollbackError(f"{self.id}: nothing to roll back")
        region = rollback_data["region"]
        client("ec2", session=session, region=region).disable_ebs_encryption_by_default()
        change = Change(
            "ec2:DisableEbsEncryptionByDefault",
            f"arn:aws:ec2:{region}:{finding.account_id}:ebs-default-encryption",
            f"turn EBS encryption by default off again in {region}",
            True,
            False,
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(Ec2EbsDefaultEncryptionReactor)
