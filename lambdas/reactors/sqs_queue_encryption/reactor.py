"""Reactor ``sqs-queue-encryption`` (AFSBP SQS.1)."""

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

ENCRYPTION_ATTRIBUTES = ("KmsMasterKeyId", "SqsManagedSseEnabled")


def _queue(arn: str, default_region: str) -> tuple[str, str, str]:
    """(region, account, name) of a queue ARN."""
    parts = arn.split(":")
    return (parts[3] or default_region), parts[4], parts[5]


@reactor
class SqsQueueEncryptionReactor(Reactor):
    """Encrypt an SQS queue at rest.

    With no "kms_key_id" parameter (the default), turns on SQS-managed server-side encryption
    (SSE-SQS: no key to manage, no KMS cost); with one, encrypts with that KMS key (SSE-KMS).
    Messages already in the queue stay as they were; new ones are encrypted. A queue already
    encrypted either way is left alone. Rollback restores the previous encryption settings.
    """

    id = "sqs-queue-encryption"
    version = "1.0.0"
    control_ids = ("SQS.1",)
    permissions = (
        Permission(
            ("sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes"),
            ("arn:aws:sqs:*:*:*",),
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "kms_key_id": {
                "type": "string",
                "default": "",
                "description": "KMS key for SSE-KMS; empty: SQS-managed encryption (SSE-SQS)",
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
        arn = finding.resource("AwsSqsQueue").id
        region, account, name = _queue(arn, finding.region)
        sqs = client("sqs", session=session, region=region)
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        before = {k: attributes.get(k, "") for k in ENCRYPTION_ATTRIBUTES}
        if before["KmsMasterKeyId"] or before["SqsManagedSseEnabled"] == "true":
            return self.result(finding, dry_run=dry_run, changes=[], message="already encrypted")
        key = params["kms_key_id"]
        wanted = {"KmsMasterKeyId": key} if key else {"SqsManagedSseEnabled": "true"}
        change = Change(
            "sqs:SetQueueAttributes",
            arn,
            f"encrypt with {key}" if key else "turn on SQS-managed encryption",
            before,
            wanted,
        )
        if not dry_run:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=wanted)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"queue_url": url, "region": region, "previous": before},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        url, previous = rollback_data.get("queue_url"), rollback_data.get("previous")
        if not url or not isinstance(previous, Mapping):
            raise ReactorRollbackError(f"{self.id}: rollback_data needs queue_url and previous")
        restored = {
            "KmsMasterKeyId": previous.get("KmsMasterKeyId", ""),
            "SqsManagedSseEnabled": previous.get("SqsManagedSseEnabled") or "false",
        }
        sqs = client("sqs", session=session, region=rollback_data.get("region") or finding.region)
        sqs.set_queue_attributes(QueueUrl=url, Attributes=restored)
        change = Change(
            "sqs:SetQueueAttributes", url, "restore encryption settings", None, restored
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(SqsQueueEncryptionReactor)
