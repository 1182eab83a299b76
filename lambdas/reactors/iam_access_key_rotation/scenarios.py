"""Scenarios of ``iam-access-key-rotation`` for the harness (`reactor_sdk.testing`): IAM.3.

moto cannot back-date a key, so the scenario sets ``max_age_days`` to 0: a key created now then
counts as due for rotation, as a 90-day-old one would on AWS.
"""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

USER = "unrotated-keys"


def _user(session: boto3.Session, account_id: str) -> Target:
    iam = session.client("iam")
    iam.create_user(UserName=USER)
    iam.create_access_key(UserName=USER)
    return Target(
        f"arn:aws:iam::{account_id}:user/{USER}",
        "AwsIamUser",
        {"AwsIamUser": {"UserName": USER, "Path": "/"}},
    )


def _keys(session: boto3.Session, target: Target) -> Any:
    keys = session.client("iam").list_access_keys(UserName=USER)["AccessKeyMetadata"]
    return sorted((k["AccessKeyId"], k["Status"]) for k in keys)


def _all_inactive(keys: Any) -> bool:
    return all(status == "Inactive" for _, status in keys)


SCENARIOS = [
    Scenario(
        "IAM.3",
        "asff_findings/asr_afsbp_iam.3.json",
        _user,
        _keys,
        _all_inactive,
        {"max_age_days": 0},
    ),
]
