"""Reactor ``iam-access-key-rotation`` (AFSBP IAM.3)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
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


def iam_user_name(finding: Finding) -> str:
    """The user name of the finding's ``AwsIamUser`` (its ARN's last segment, else Details)."""
    resource = finding.resource("AwsIamUser")
    if resource.id.startswith("arn:"):
        return resource.name
    details = resource.details.get("AwsIamUser") or {}
    return str(details.get("UserName") or resource.id)


@reactor
class IamAccessKeyRotationReactor(Reactor):
    """Deactivate IAM access keys older than the rotation period (90 days by default).

    For the user the finding names, every active access key created at least "max_age_days"
    ago (default 90, the period of IAM.3) is set to Inactive; the owner then creates a new key
    and deletes the old one. Keys are never deleted, so rollback reactivates them exactly.

    Deactivating a key that is in use stops whatever uses it. So the reactor refuses, changing
    nothing, when one of those keys was used in the last "refuse_if_used_within_days" days
    (default 7; 0 turns the check off): rotate such a key by hand. Recommended mode: manual
    (or dry run). Installing needs admin approval: iam:UpdateAccessKey writes credentials,
    which the reactor-trust deny list reserves for approved official reactors.
    """

    id = "iam-access-key-rotation"
    version = "1.0.0"
    recommended_mode = "manual"
    control_ids = ("IAM.3",)
    permissions = (
        Permission(
            (
                "iam:GetUser",
                "iam:ListAccessKeys",
                "iam:GetAccessKeyLastUsed",
                "iam:UpdateAccessKey",
            ),
            ("arn:aws:iam::*:user/*",),
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "max_age_days": {
                "type": "integer",
                "minimum": 0,
                "maximum": 3650,
                "default": 90,
                "description": "keys created this many days ago or more are deactivated",
            },
            "refuse_if_used_within_days": {
                "type": "integer",
                "minimum": 0,
                "maximum": 365,
                "default": 7,
                "description": "refuse when such a key was used this recently (0: never refuse)",
            },
        },
    }

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        user = iam_user_name(finding)
        now = datetime.now(UTC)
        max_age = timedelta(days=int(params["max_age_days"]))
        recent = timedelta(days=int(params["refuse_if_used_within_days"]))
        iam = client("iam", session=session)
        user_arn = iam.get_user(UserName=user)["User"]["Arn"]
        old = [
            key
            for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
            if key["Status"] == "Active" and now - key["CreateDate"] >= max_age
        ]
        changes = []
        for key in old:
            used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
            last = (used.get("AccessKeyLastUsed") or {}).get("LastUsedDate")
            if last and recent and now - last < recent:
                raise ReactorError(
                    f"access key {key['AccessKeyId']} of {user} was used on "
                    f"{last.astimezone(UTC).isoformat()}, within the last "
                    f"{params['refuse_if_used_within_days']} days: deactivating it would stop "
                    "what uses it; rotate it by hand (or set refuse_if_used_within_days to 0)"
                )
            created = key["CreateDate"].astimezone(UTC).isoformat()
            changes.append(
                Change(
                    "iam:UpdateAccessKey",
                    user_arn,
                    f"deactivate access key {key['AccessKeyId']} (created {created}; "
                    f"rotation period {params['max_age_days']} days)",
                    "Active",
                    "Inactive",
                )
            )
        if not changes:
            return self.result(finding, dry_run=dry_run, changes=[], message="no key to rotate")
        keys = [key["AccessKeyId"] for key in old]
        if not dry_run:
            for key_id in keys:
                iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")
        return self.result(
            finding, dry_run=dry_run, changes=changes, rollback_data={"user": user, "keys": keys}
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        user, keys = rollback_data.get("user"), rollback_data.get("keys")
        if not user or not isinstance(keys, list) or not keys:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs user and keys")
        iam = client("iam", session=session)
        user_arn = iam.get_user(UserName=user)["User"]["Arn"]
        changes = []
        for key_id in keys:
            iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Active")
            changes.append(
                Change(
                    "iam:UpdateAccessKey",
                    user_arn,
                    f"reactivate access key {key_id}",
                    "Inactive",
                    "Active",
                )
            )
        return self.result(finding, dry_run=False, changes=changes, operation="rollback")


handler = reactor_handler(IamAccessKeyRotationReactor)
