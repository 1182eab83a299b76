"""Scenarios of ``ec2-ebs-default-encryption`` for the harness (`reactor_sdk.testing`): EC2.7."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def account(session: boto3.Session, account_id: str) -> Target:
    """An account whose region does not encrypt new EBS volumes (the AWS and moto default)."""
    return Target(f"AWS::::Account:{account_id}", "AwsAccount")


def encryption_by_default(session: boto3.Session, target: Target) -> Any:
    """Whether new EBS volumes in us-east-1 are encrypted by default."""
    ec2 = session.client("ec2", region_name="us-east-1")
    return bool(ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"])


def enabled(value: Any) -> bool:
    """The control passes when encryption by default is on."""
    return value is True


SCENARIOS = [
    Scenario(
        "EC2.7",
        "eventbridge_events/asr_imported_afsbp_ec2.7.json",
        account,
        encryption_by_default,
        enabled,
    ),
]
