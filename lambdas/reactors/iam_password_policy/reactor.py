"""Reactor ``iam-password-policy`` (AFSBP IAM.7, PCI IAM.10, CIS IAM.11 to IAM.17)."""

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

#: Fields of GetAccountPasswordPolicy that UpdateAccountPasswordPolicy accepts back.
UPDATABLE = (
    "MinimumPasswordLength",
    "RequireSymbols",
    "RequireNumbers",
    "RequireUppercaseCharacters",
    "RequireLowercaseCharacters",
    "AllowUsersToChangePassword",
    "MaxPasswordAge",
    "PasswordReusePrevention",
    "HardExpiry",
)


def _updatable(policy: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``policy`` UpdateAccountPasswordPolicy takes (0 ages mean unset)."""
    return {k: policy[k] for k in UPDATABLE if k in policy and policy[k] not in (None, 0)}


def strong_policy(current: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The policy to set: each setting at least as strict as asked, never weaker than now."""
    wanted = dict(_updatable(current))
    wanted["MinimumPasswordLength"] = max(
        int(current.get("MinimumPasswordLength") or 0), int(params["minimum_length"])
    )
    for flag in (
        "RequireSymbols",
        "RequireNumbers",
        "RequireUppercaseCharacters",
        "RequireLowercaseCharacters",
    ):
        wanted[flag] = True
    wanted["AllowUsersToChangePassword"] = True
    age = int(current.get("MaxPasswordAge") or 0)
    wanted["MaxPasswordAge"] = min(age, params["max_age_days"]) if age else params["max_age_days"]
    wanted["PasswordReusePrevention"] = max(
        int(current.get("PasswordReusePrevention") or 0), int(params["reuse_prevention"])
    )
    return wanted


@reactor
class IamPasswordPolicyReactor(Reactor):
    """Set a strong IAM password policy for the account.

    Requires at least "minimum_length" characters (default 14) with upper- and lower-case
    letters, numbers and symbols; lets users change their own password; expires passwords after
    "max_age_days" (default 90) and prevents reuse of the last "reuse_prevention" (default 24).
    A setting that is already stricter stays as it is. Rollback restores the previous policy,
    or deletes the policy when the account had none. With its defaults the policy passes IAM.7
    (AFSBP), IAM.10 (PCI DSS) and IAM.11 to IAM.17 (CIS: upper case, lower case, symbols,
    numbers, 14 characters, no reuse of the last 24, expiry within 90 days).
    """

    id = "iam-password-policy"
    version = "1.0.0"
    control_ids = (
        "IAM.7",
        "IAM.10",
        "IAM.11",
        "IAM.12",
        "IAM.13",
        "IAM.14",
        "IAM.15",
        "IAM.16",
        "IAM.17",
    )
    permissions = (
        Permission(
            (
                "iam:GetAccountPasswordPolicy",
                "iam:UpdateAccountPasswordPolicy",
                "iam:DeleteAccountPasswordPolicy",
            )
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "minimum_length": {"type": "integer", "minimum": 14, "maximum": 128, "default": 14},
            "max_age_days": {"type": "integer", "minimum": 1, "maximum": 1095, "default": 90},
            "reuse_prevention": {"type": "integer", "minimum": 1, "maximum": 24, "default": 24},
        },
    }

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        iam = client("iam", session=session)
        try:
            current: dict[str, Any] | None = iam.get_account_password_policy()["PasswordPolicy"]
        except iam.exceptions.NoSuchEntityException:
            current = None
        wanted = strong_policy(current or {}, params)
        before = _updatable(current or {})
        if current is not None and all(before.get(k) == v for k, v in wanted.items()):
            return self.result(finding, dry_run=dry_run, changes=[], message="already strong")
        change = Change(
            "iam:UpdateAccountPasswordPolicy",
            f"arn:aws:iam::{finding.account_id}:account-password-policy",
            "set a strong password policy",
            before if current is not None else None,
            wanted,
        )
        if not dry_run:
            iam.update_account_password_policy(**wanted)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"previous": before if current is not None else None},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        if "previous" not in rollback_data:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs previous")
        previous = rollback_data["previous"]
        iam = client("iam", session=session)
        if previous:
            iam.delete_account_password_policy()  # unset what the old policy did not set
            iam.update_account_password_policy(**previous)
        else:
            iam.delete_account_password_policy()
        change = Change(
            "iam:UpdateAccountPasswordPolicy",
            f"arn:aws:iam::{finding.account_id}:account-password-policy",
            "restore the previous password policy",
            None,
            previous,
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(IamPasswordPolicyReactor)
