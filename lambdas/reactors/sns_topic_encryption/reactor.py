"""Reactor ``sns-topic-encryption`` (AFSBP SNS.1)."""

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


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


@reactor
class SnsTopicEncryptionReactor(Reactor):
    """Encrypt an SNS topic at rest with a KMS key.

    Sets the topic's KmsMasterKeyId to the "kms_key_id" parameter (default: the AWS managed
    key alias/aws/sns). With a customer managed key, its key policy must let SNS and the
    topic's publishers use it. A topic already encrypted is left alone. Rollback restores the
    previous setting (none: unencrypted).
    """

    id = "sns-topic-encryption"
    version = "1.0.0"
    control_ids = ("SNS.1",)
    permissions = (
        Permission(("sns:GetTopicAttributes", "sns:SetTopicAttributes"), ("arn:aws:sns:*:*:*",)),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "kms_key_id": {
                "type": "string",
                "minLength": 1,
                "default": "alias/aws/sns",
                "description": "key id, ARN or alias of the KMS key",
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
        arn = finding.resource("AwsSnsTopic").id
        sns = client("sns", session=session, region=_region(arn, finding.region))
        current = sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("KmsMasterKeyId")
        if current:
            return self.result(finding, dry_run=dry_run, changes=[], message="already encrypted")
        key = params["kms_key_id"]
        change = Change("sns:SetTopicAttributes", arn, f"encrypt with {key}", None, key)
        if not dry_run:
            sns.set_topic_attributes(
                TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue=key
            )
        return self.result(
            finding, dry_run=dry_run, changes=[change], rollback_data={"topic_arn": arn}
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        arn = rollback_data.get("topic_arn")
        if not arn:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs topic_arn")
        sns = client("sns", session=session, region=_region(arn, finding.region))
        sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue="")
        change = Change("sns:SetTopicAttributes", arn, "remove encryption", None, None)
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(SnsTopicEncryptionReactor)
