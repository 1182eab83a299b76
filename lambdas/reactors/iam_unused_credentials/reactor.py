"""Reactor ``iam-unused-credentials`` (AFSBP IAM.8, 90 days; IAM.22, 45 days)."""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
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

#: Days without use after which each control calls a credential unused.
THRESHOLD_DAYS = {"IAM.8": 90, "IAM.22": 45}
DEFAULT_THRESHOLD_DAYS = 90


def iam_user_name(finding: Finding) -> str:
    """The user name of the finding's ``AwsIamUser`` (its ARN's last segment, else Details)."""
    resource = finding.resource("AwsIamUser")
    if resource.id.startswith("arn:"):
        return resource.name
    details = resource.details.get("AwsIamUser") or {}
    return str(details.get("UserName") or resource.id)


def threshold_days(control_id: str | None, params: Mapping[str, Any]) -> int:
    """The ``unused_days`` parameter, or the finding's control's own threshold."""
    if params.get("unused_days") is not None:
        return int(params["unused_days"])
    return THRESHOLD_DAYS.get(control_id or "", DEFAULT_THRESHOLD_DAYS)


def _stale(last: datetime, now: datetime, days: int) -> bool:
    return now - last >= timedelta(days=days)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _temporary_password() -> str:
    """A random password meeting any IAM password policy; nobody ever sees it."""
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*()_+-=[]{}|"
    body = "".join(secrets.choice(alphabet) for _ in range(60))
    return f"Aa1!{body}"


@reactor
class IamUnusedCredentialsReactor(Reactor):
    """Deactivate IAM user access keys that went unused for 90 days (IAM.8) or 45 days (IAM.22).

    For the user the finding names, every active access key whose last use (or, when never
    used, its creation) is at least the control's threshold old is set to Inactive: 90 days for
    IAM.8, 45 days for IAM.22, or "unused_days" when set. Inactive keys are kept, so rollback
    reactivates them exactly. The console password is left alone unless "delete_passwords" is
    true: then a password unused as long is deleted (the login profile). A deleted password
    cannot be restored: rollback gives the user console access back with a new random password
    that must be reset, which an administrator then sets.

    Recommended mode: manual (or dry run first). A key unused by this measure can still belong
    to a rarely run job; review the dry run before applying. Installing needs admin approval:
    iam:UpdateAccessKey, iam:DeleteLoginProfile and iam:CreateLoginProfile write credentials,
    which the reactor-trust deny list reserves for approved official reactors.
    """

    id = "iam-unused-credentials"
    version = "1.0.0"
    recommended_mode = "manual"
    control_ids = ("IAM.8", "IAM.22")
    permissions = (
        Permission(
            (
                "iam:ListAccessKeys",
                "iam:GetAccessKeyLastUsed",
                "iam:UpdateAccessKey",
                "iam:GetUser",
                "iam:GetLoginProfile",
                "iam:DeleteLoginProfile",
                "iam:CreateLoginProfile",
            ),
            ("arn:aws:iam::*:user/*",),
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "unused_days": {
                "type": ["integer", "null"],
                "minimum": 0,
                "maximum": 3650,
                "default": None,
                "description": "days without use that make a credential unused; "
                "null: the control's own (IAM.8: 90, IAM.22: 45)",
            },
            "delete_passwords": {
                "type": "boolean",
                "default": False,
                "description": "also delete console passwords unused as long (not restorable)",
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
        days = threshold_days(finding.control_id, params)
        now = datetime.now(UTC)
        iam = client("iam", session=session)
        user_arn = iam.get_user(UserName=user)["User"]["Arn"]
        changes: list[Change] = []
        keys: list[str] = []
        for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            if key["Status"] != "Active":
                continue
            used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
            last = (used.get("AccessKeyLastUsed") or {}).get("LastUsedDate")
            if not _stale(last or key["CreateDate"], now, days):
                continue
            when = (
                f"last used {_iso(last)}"
                if last
                else f"never used, created {_iso(key['CreateDate'])}"
            )
            changes.append(
                Change(
                    "iam:UpdateAccessKey",
                    user_arn,
                    f"deactivate access key {key['AccessKeyId']} ({when}; threshold {days} days)",
                    "Active",
                    "Inactive",
                )
            )
            keys.append(key["AccessKeyId"])
        password_deleted = False
        if params["delete_passwords"]:
            password_deleted = self._stale_password(iam, user, now, days) is not None
            if password_deleted:
                changes.append(
                    Change(
                        "iam:DeleteLoginProfile",
                        user_arn,
                        f"delete the console password (unused {days} days or more)",
                        True,
                        False,
                    )
                )
        if not changes:
            return self.result(
                finding, dry_run=dry_run, changes=[], message=f"no credential unused {days} days"
            )
        if not dry_run:
            for key_id in keys:
                iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")
            if password_deleted:
                iam.delete_login_profile(UserName=user)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=changes,
            rollback_data={"user": user, "keys": keys, "password_deleted": password_deleted},
        )

    @staticmethod
    def _stale_password(iam: Any, user: str, now: datetime, days: int) -> datetime | None:
        """When the user's console password was last used (or set), if that is stale."""
        try:
            profile = iam.get_login_profile(UserName=user)["LoginProfile"]
        except iam.exceptions.NoSuchEntityException:
            return None
        last = iam.get_user(UserName=user)["User"].get("PasswordLastUsed")
        last = last or profile["CreateDate"]
        return last if _stale(last, now, days) else None

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        user, keys = rollback_data.get("user"), rollback_data.get("keys")
        if not user or not isinstance(keys, list):
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
        if rollback_data.get("password_deleted"):
            iam.create_login_profile(
                UserName=user, Password=_temporary_password(), PasswordResetRequired=True
            )
            changes.append(
                Change(
                    "iam:CreateLoginProfile",
                    user_arn,
                    "restore console access with a new random password that must be reset "
                    "(the deleted one cannot be recovered)",
                    False,
                    True,
                )
            )
        return self.result(finding, dry_run=False, changes=changes, operation="rollback")


handler = reactor_handler(IamUnusedCredentialsReactor)
