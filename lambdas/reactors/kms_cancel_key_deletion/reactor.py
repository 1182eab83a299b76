"""Reactor ``kms-cancel-key-deletion`` (AFSBP KMS.3)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

#: The waiting period KMS accepts when a deletion is scheduled, in days.
MIN_WINDOW, MAX_WINDOW = 7, 30
DAY = 86400


def remaining_days(deletion_date: str | None) -> int:
    """The waiting period that schedules the deletion again no earlier than it was (7..30)."""
    if not deletion_date:
        return MAX_WINDOW
    left = (datetime.fromisoformat(deletion_date) - datetime.now(UTC)).total_seconds()
    return max(MIN_WINDOW, min(MAX_WINDOW, math.ceil(left / DAY)))


@reactor
class KmsCancelKeyDeletionReactor(Reactor):
    """Cancel the scheduled deletion of a KMS key.

    A key pending deletion cannot be used, and once deleted everything it encrypted is lost
    for good. The reactor cancels the deletion; KMS then leaves the key disabled. With
    "enable_key" (false by default) it also enables the key again, for keys you know were in
    use: otherwise the owner decides, since whoever scheduled the deletion may have meant to
    stop its use. Nothing changes for a key that is not pending deletion.

    Needs admin approval at install: rollback schedules the deletion again
    (kms:ScheduleKeyDeletion is on the reactor-trust list of dangerous actions), with a waiting
    period that ends no earlier than the one cancelled (7 to 30 days).
    """

    id = "kms-cancel-key-deletion"
    version = "1.0.0"
    control_ids = ("KMS.3",)
    permissions = (
        Permission(
            (
                "kms:DescribeKey",
                "kms:CancelKeyDeletion",
                "kms:EnableKey",
                "kms:DisableKey",
                "kms:ScheduleKeyDeletion",
            ),
            ("arn:aws:kms:*:*:key/*",),
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "enable_key": {
                "type": "boolean",
                "default": False,
                "description": "enable the key after cancelling its deletion",
            }
        },
    }

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsKmsKey")
        region = resource.region or finding.region
        kms = client("kms", session=session, region=region)
        try:
            key = kms.describe_key(KeyId=resource.id)["KeyMetadata"]
        except kms.exceptions.NotFoundException as exc:
            raise ReactorError(f"key {resource.id} not found (already deleted?)") from exc
        if key["KeyState"] != "PendingDeletion":
            return self.result(
                finding, dry_run=dry_run, changes=[], message=f"key is {key['KeyState']}"
            )
        deletion = key.get("DeletionDate")
        deletion_date = deletion.isoformat() if isinstance(deletion, datetime) else deletion
        arn, key_id = str(key["Arn"]), str(key["KeyId"])
        changes = [
            Change(
                "kms:CancelKeyDeletion",
                arn,
                "cancel the scheduled deletion (the key stays disabled)",
                {"KeyState": "PendingDeletion", "DeletionDate": deletion_date},
                {"KeyState": "Disabled"},
            )
        ]
        if params["enable_key"]:
            changes.append(Change("kms:EnableKey", arn, "enable the key", "Disabled", "Enabled"))
        if not dry_run:
            kms.cancel_key_deletion(KeyId=key_id)
            if params["enable_key"]:
                kms.enable_key(KeyId=key_id)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=changes,
            rollback_data={
                "key_arn": arn,
                "key_id": key_id,
                "region": region,
                "deletion_date": deletion_date,
            },
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        arn, key_id = rollback_data.get("key_arn"), rollback_data.get("key_id")
        if not arn or not key_id:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs key_arn and key_id")
        kms = client("kms", session=session, region=rollback_data.get("region") or finding.region)
        days = remaining_days(rollback_data.get("deletion_date"))
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
        change = Change(
            "kms:ScheduleKeyDeletion",
            str(arn),
            f"schedule the deletion again, in {days} days",
            None,
            {"KeyState": "PendingDeletion"},
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(KmsCancelKeyDeletionReactor)
