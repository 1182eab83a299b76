"""Scenarios of ``s3-account-public-access-block`` for the harness (`reactor_sdk.testing`): S3.1."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def account(session: boto3.Session, account_id: str) -> Target:
    """An account without account-level Block Public Access (moto's default)."""
    return Target(f"AWS::::Account:{account_id}", "AwsAccount")


def account_block(session: boto3.Session, target: Target) -> Any:
    """The account's Block Public Access settings, or None when it has none."""
    s3control = session.client("s3control")
    try:
        config = s3control.get_public_access_block(AccountId=target.resource_id.rsplit(":", 1)[-1])
    except s3control.exceptions.NoSuchPublicAccessBlockConfiguration:
        return None
    return {k: bool(v) for k, v in config["PublicAccessBlockConfiguration"].items()}


def all_blocked(settings: Any) -> bool:
    """True when the four settings are on."""
    return bool(settings) and all(settings.get(k) for k in SETTINGS)


SAMPLE = "asff_findings/asr_afsbp_s3.1.json"

SCENARIOS = [
    # A partial configuration: tests/lambdas/reactors/test_s3_account_public_access_block.py.
    Scenario("S3.1", SAMPLE, account, account_block, all_blocked),
]
