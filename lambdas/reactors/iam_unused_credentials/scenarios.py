"""Scenarios of ``iam-unused-credentials`` for the harness (`reactor_sdk.testing`): IAM.8, IAM.22.

moto cannot date a key's last use in the past, so the scenarios set ``unused_days`` to 0: keys
created now then count as unused, as 90- or 45-day-old ones would on AWS.
"""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

USER = "stale-credentials"


def _user(session: boto3.Session, account_id: str) -> Target:
    iam = session.client("iam")
    iam.create_user(UserName=USER)
    iam.create_access_key(UserName=USER)
    iam.create_access_key(UserName=USER)
    iam.create_login_profile(
        UserName=USER, Password=f"Console-{account_id}!", PasswordResetRequired=True
    )
    return Target(
        f"arn:aws:iam::{account_id}:user/{USER}",
        "AwsIamUser",
        {"AwsIamUser": {"UserName": USER, "Path": "/"}},
    )


def _credentials(session: boto3.Session, target: Target) -> dict[str, Any]:
    iam = session.client("iam")
    keys = iam.list_access_keys(UserName=USER)["AccessKeyMetadata"]
    try:
        iam.get_login_profile(UserName=USER)
        password = True
    except iam.exceptions.NoSuchEntityException:
        password = False
    return {
        "keys": sorted((k["AccessKeyId"], k["Status"]) for k in keys),
        "password": password,
    }


def _keys_inactive(state: Any) -> bool:
    return all(status == "Inactive" for _, status in state["keys"])


def _keys_inactive_password_kept(state: Any) -> bool:
    return _keys_inactive(state) and state["password"]


def _nothing_left(state: Any) -> bool:
    return _keys_inactive(state) and not state["password"]


SAMPLE = "asff_findings/asr_afsbp_iam.8.json"
SCENARIOS = [
    Scenario(
        "IAM.8", SAMPLE, _user, _credentials, _keys_inactive_password_kept, {"unused_days": 0}
    ),
    Scenario(
        "IAM.8",
        SAMPLE,
        _user,
        _credentials,
        _nothing_left,
        {"unused_days": 0, "delete_passwords": True},
        name="delete-passwords",
    ),
    Scenario(
        "IAM.22", SAMPLE, _user, _credentials, _keys_inactive_password_kept, {"unused_days": 0}
    ),
]
