"""Scenarios of ``kms-cancel-key-deletion`` for the harness (`reactor_sdk.testing`): KMS.3.

``observe`` reads the key's state and whether its deletion is scheduled no earlier than it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

#: When the arranged deletion was due, per key ARN (rollback may only push it later).
_DUE: dict[str, datetime] = {}


def key_pending_deletion(session: boto3.Session, account_id: str) -> Target:
    """A customer managed key scheduled for deletion in 10 days."""
    kms = session.client("kms")
    key = kms.create_key(Description="scheduled for deletion")["KeyMetadata"]
    due = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=10)["DeletionDate"]
    _DUE[key["Arn"]] = due
    return Target(key["Arn"], "AwsKmsKey", {})


def _key(session: boto3.Session, target: Target) -> Any:
    key = session.client("kms").describe_key(KeyId=target.resource_id)["KeyMetadata"]
    deletion = key.get("DeletionDate")
    return {
        "KeyState": key["KeyState"],
        "DeletionNoEarlier": deletion is not None and deletion >= _DUE[target.resource_id],
    }


SCENARIOS = [
    Scenario(
        "KMS.3",
        "asff_findings/asr_afsbp_ec2.2.json",
        key_pending_deletion,
        _key,
        lambda state: state["KeyState"] == "Disabled",
    ),
    Scenario(
        "KMS.3",
        "asff_findings/asr_afsbp_ec2.2.json",
        key_pending_deletion,
        _key,
        lambda state: state["KeyState"] == "Enabled",
        params={"enable_key": True},
        name="enable",
    ),
]
