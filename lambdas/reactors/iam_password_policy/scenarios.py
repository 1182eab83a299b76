"""Scenarios of ``iam-password-policy`` for the harness (`reactor_sdk.testing`): IAM.7 and
IAM.10 to IAM.17, which the reactor's defaults all satisfy.

Each control judges part of the account's password policy (the AWS Security Hub controls
reference, and the AWS Config rule ``iam-password-policy`` with the control's parameters):

- IAM.7 (AFSBP): at least 8 characters, upper- and lower-case letters, numbers and symbols;
- IAM.10 (PCI DSS): at least 7 characters, upper- and lower-case letters and numbers, no reuse
  of the last 4, expiry within 90 days;
- IAM.11 / IAM.12 / IAM.13 / IAM.14 (CIS 1.5 to 1.8): an upper-case letter / a lower-case letter /
  a symbol / a number;
- IAM.15 (CIS 1.9): at least 14 characters; IAM.16 (CIS 1.10): no reuse of the last 24;
- IAM.17 (CIS 1.11): passwords expire within 90 days.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

Policy = dict[str, Any]

#: What each control requires of the password policy.
REQUIREMENTS: dict[str, Callable[[Policy], bool]] = {
    "IAM.7": lambda p: (
        p.get("MinimumPasswordLength", 0) >= 8
        and all(
            p.get(flag)
            for flag in (
                "RequireUppercaseCharacters",
                "RequireLowercaseCharacters",
                "RequireNumbers",
                "RequireSymbols",
            )
        )
    ),
    "IAM.10": lambda p: (
        p.get("MinimumPasswordLength", 0) >= 7
        and bool(p.get("RequireNumbers"))
        and bool(p.get("RequireUppercaseCharacters") and p.get("RequireLowercaseCharacters"))
        and p.get("PasswordReusePrevention", 0) >= 4
        and 0 < p.get("MaxPasswordAge", 0) <= 90
    ),
    "IAM.11": lambda p: bool(p.get("RequireUppercaseCharacters")),
    "IAM.12": lambda p: bool(p.get("RequireLowercaseCharacters")),
    "IAM.13": lambda p: bool(p.get("RequireSymbols")),
    "IAM.14": lambda p: bool(p.get("RequireNumbers")),
    "IAM.15": lambda p: p.get("MinimumPasswordLength", 0) >= 14,
    "IAM.16": lambda p: p.get("PasswordReusePrevention", 0) >= 24,
    "IAM.17": lambda p: 0 < p.get("MaxPasswordAge", 0) <= 90,
}
#: A weak policy each CIS control's scenario starts from: everything else the reactor sets
#: stays unset, so the scenario shows the reactor fixes that control's own setting.
WEAK: dict[str, Policy] = {
    "IAM.10": {"MinimumPasswordLength": 6, "RequireNumbers": True},
    "IAM.11": {"MinimumPasswordLength": 8, "RequireLowercaseCharacters": True},
    "IAM.12": {"MinimumPasswordLength": 8, "RequireUppercaseCharacters": True},
    "IAM.13": {"MinimumPasswordLength": 8, "RequireNumbers": True},
    "IAM.14": {"MinimumPasswordLength": 8, "RequireSymbols": True},
    "IAM.15": {"MinimumPasswordLength": 10, "RequireSymbols": True, "RequireNumbers": True},
    "IAM.16": {"MinimumPasswordLength": 14, "PasswordReusePrevention": 5},
    "IAM.17": {"MinimumPasswordLength": 14, "MaxPasswordAge": 365},
}


def account(session: boto3.Session, account_id: str) -> Target:
    """The account, without a password policy (the AWS and moto default)."""
    return Target(f"AWS::::Account:{account_id}", "AwsAccount")


def weak_policy(policy: Policy) -> Callable[[boto3.Session, str], Target]:
    """An ``arrange`` that sets ``policy`` as the account's password policy."""

    def arrange(session: boto3.Session, account_id: str) -> Target:
        session.client("iam").update_account_password_policy(**policy)
        return account(session, account_id)

    return arrange


def password_policy(session: boto3.Session, target: Target) -> Any:
    """The account's password policy, or None when it has none."""
    iam = session.client("iam")
    try:
        return iam.get_account_password_policy()["PasswordPolicy"]
    except iam.exceptions.NoSuchEntityException:
        return None


def satisfies(control_id: str) -> Callable[[Any], bool]:
    """The ``fixed`` test of ``control_id``: a policy exists and meets the control."""
    requirement = REQUIREMENTS[control_id]
    return lambda policy: policy is not None and requirement(policy)


#: No IAM sample exists: the real S3.1 sample (an account-level finding), for each control.
SAMPLE = "asff_findings/asr_afsbp_s3.1.json"

SCENARIOS = [
    Scenario("IAM.7", SAMPLE, account, password_policy, satisfies("IAM.7")),
    *(
        Scenario(control, SAMPLE, weak_policy(policy), password_policy, satisfies(control))
        for control, policy in WEAK.items()
    ),
]
