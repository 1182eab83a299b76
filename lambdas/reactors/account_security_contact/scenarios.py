"""Scenarios of ``account-security-contact`` for the harness (`reactor_sdk.testing`): Account.1."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

CONTACT = {
    "name": "Security Operations",
    "title": "On-call security engineer",
    "email": "security@example.com",
    "phone": "+1 206 555 0100",
}


def account_without_contact(session: boto3.Session, account_id: str) -> Target:
    # A new account has no alternate contacts: nothing to build.
    return Target(f"AWS::::Account:{account_id}", "AwsAccount")


def security_contact(session: boto3.Session, target: Target) -> Any:
    account = session.client("account", region_name="us-east-1")
    try:
        found = account.get_alternate_contact(AlternateContactType="SECURITY")
    except account.exceptions.ResourceNotFoundException:
        return None
    return {k: v for k, v in found["AlternateContact"].items() if k != "AlternateContactType"}


SCENARIOS = [
    Scenario(
        "Account.1",
        "asff_findings/asr_afsbp_cloudtrail.1.json",
        account_without_contact,
        security_contact,
        lambda state: state is not None and state["EmailAddress"] == CONTACT["email"],
        params=CONTACT,
    ),
]
