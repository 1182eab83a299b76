"""Reactor ``cloudtrail-kms`` (AFSBP CloudTrail.2)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

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

CLOUDTRAIL = "cloudtrail.amazonaws.com"
#: Key policy actions that let CloudTrail encrypt log files (or more).
ENCRYPT_ACTIONS = {"kms:*", "kms:GenerateDataKey*", "kms:GenerateDataKey"}


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allows_cloudtrail(policy: Mapping[str, Any]) -> bool:
    """Whether a key policy lets the CloudTrail service generate data keys."""
    for statement in _listed(policy.get("Statement") or []):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal") or {}
        services = _listed(principal.get("Service", [])) if isinstance(principal, dict) else []
        if CLOUDTRAIL in services and ENCRYPT_ACTIONS & set(_listed(statement.get("Action"))):
            return True
    return False


@reactor
class CloudTrailKmsReactor(Reactor):
    """Encrypt a CloudTrail trail's log files with a customer managed KMS key.

    Sets the trail's KMS key to "kms_key_id" (key id, ARN or alias; there is no default, since
    AWS has no managed key for CloudTrail: create one and set this parameter). Before changing
    anything the reactor checks that the key is enabled and that its key policy allows
    cloudtrail.amazonaws.com to generate data keys: otherwise CloudTrail could not write logs
    and the trail would fall silent, so the reactor refuses and says why. Readers of the logs
    also need kms:Decrypt on the key. A trail that is already encrypted is left as it is.
    Rollback turns encryption off again (SSE-S3, the CloudTrail default).
    """

    id = "cloudtrail-kms"
    version = "1.0.0"
    control_ids = ("CloudTrail.2",)
    permissions = (
        Permission(
            ("cloudtrail:GetTrail", "cloudtrail:UpdateTrail"),
            ("arn:aws:cloudtrail:*:*:trail/*",),
        ),
        Permission(("kms:DescribeKey", "kms:GetKeyPolicy"), ("arn:aws:kms:*:*:key/*",)),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "kms_key_id": {
                "type": "string",
                "maxLength": 2048,
                "default": "",
                "description": "key id, ARN or alias of the KMS key (required: no default key)",
            }
        },
    }

    def _key_arn(self, session: boto3.Session, key_id: str, region: str) -> str:
        """The ARN of ``key_id`` once it is checked usable by CloudTrail; `ReactorError` if not."""
        if not key_id:
            raise ReactorError(
                "set the kms_key_id parameter: CloudTrail has no AWS managed key, so this "
                "reactor needs a customer managed key whose policy allows cloudtrail.amazonaws.com"
            )
        kms = client("kms", session=session, region=_region(key_id, region))
        try:
            metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
            policy = json.loads(
                kms.get_key_policy(KeyId=metadata["KeyId"], PolicyName="default")["Policy"]
            )
        except kms.exceptions.NotFoundException as exc:
            raise ReactorError(f"KMS key {key_id} not found in {region}") from exc
        except ClientError as exc:  # e.g. a key of another account, whose policy it cannot read
            raise ReactorError(
                f"cannot check the key policy of {key_id} ({exc}): the reactor uses only a key "
                "it can verify allows CloudTrail"
            ) from exc
        if metadata.get("KeyState") != "Enabled":
            raise ReactorError(f"KMS key {key_id} is {metadata.get('KeyState')}, not Enabled")
        if not allows_cloudtrail(policy):
            raise ReactorError(
                f"the key policy of {key_id} does not allow {CLOUDTRAIL} kms:GenerateDataKey*: "
                "CloudTrail could not write encrypted logs; add that statement first"
            )
        return str(metadata["Arn"])

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        arn = finding.resource("AwsCloudTrailTrail").id
        region = _region(arn, finding.region)
        cloudtrail = client("cloudtrail", session=session, region=region)
        trail = cloudtrail.get_trail(Name=arn)["Trail"]
        if trail.get("KmsKeyId"):
            return self.result(finding, dry_run=dry_run, changes=[], message="already encrypted")
        key_arn = self._key_arn(session, str(params["kms_key_id"]), region)
        change = Change(
            "cloudtrail:UpdateTrail", trail["TrailARN"], "encrypt log files with KMS", None, key_arn
        )
        if not dry_run:
            cloudtrail.update_trail(Name=trail["TrailARN"], KmsKeyId=key_arn)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"trail_arn": trail["TrailARN"], "region": region},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        arn = rollback_data.get("trail_arn")
        if not arn:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs trail_arn")
        region = rollback_data.get("region") or _region(arn, finding.region)
        cloudtrail = client("cloudtrail", session=session, region=region)
        key = cloudtrail.get_trail(Name=arn)["Trail"].get("KmsKeyId")
        cloudtrail.update_trail(Name=arn, KmsKeyId="")
        change = Change("cloudtrail:UpdateTrail", arn, "stop KMS encryption", key, None)
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(CloudTrailKmsReactor)
