"""``iam-unused-credentials`` beyond its scenarios: the thresholds by control, and passwords.

The harness (``test_scenarios.py``) runs IAM.8 and IAM.22 with ``unused_days`` 0 (dry run,
apply, rollback, untouched caller). Here the defaults apply: moto's IAM backend dates the
credentials (a key's creation and last use, the user's creation, which moto reports as the
login profile's, and the password's last use), since its API cannot.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto.core.utils import utcnow
from moto.iam.models import AccessKeyLastUsed, iam_backends

from lambdas.reactors.iam_unused_credentials.reactor import handler, threshold_days
from lambdas.reactors.iam_unused_credentials.scenarios import SCENARIOS, USER
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional
IAM_8, IAM_22 = SCENARIOS[0], SCENARIOS[2]


def _days_ago(days: int) -> Any:
    return utcnow() - timedelta(days=days)


def _user(member: boto3.Session) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The scenario's user (two keys, a password): its IAM.8 and IAM.22 findings, its key ids."""
    target = IAM_8.arrange(member, MEMBER)
    keys = member.client("iam").list_access_keys(UserName=USER)["AccessKeyMetadata"]
    return (
        scenario_finding(IAM_8, target, MEMBER),
        scenario_finding(IAM_22, target, MEMBER),
        sorted(k["AccessKeyId"] for k in keys),
    )


def _state(member: boto3.Session) -> dict[str, Any]:
    """The user's keys (id, status) and whether it has a console password."""
    iam = member.client("iam")
    keys = iam.list_access_keys(UserName=USER)["AccessKeyMetadata"]
    try:
        iam.get_login_profile(UserName=USER)
        password = True
    except iam.exceptions.NoSuchEntityException:
        password = False
    return {"keys": sorted((k["AccessKeyId"], k["Status"]) for k in keys), "password": password}


def _key_status(member: boto3.Session) -> dict[str, str]:
    return dict(_state(member)["keys"])


def test_threshold_is_the_controls_own_unless_unused_days_is_set() -> None:
    assert threshold_days("IAM.8", {"unused_days": None}) == 90
    assert threshold_days("IAM.22", {"unused_days": None}) == 45
    assert threshold_days("IAM.22", {}) == 45
    assert threshold_days(None, {"unused_days": None}) == 90
    assert threshold_days("1.12", {"unused_days": None}) == 90
    assert threshold_days("IAM.8", {"unused_days": 0}) == 0
    assert threshold_days("IAM.22", {"unused_days": 120}) == 120


def test_default_thresholds_are_90_days_for_iam_8_and_45_for_iam_22(
    member: boto3.Session,
) -> None:
    iam_8, iam_22, (idle, busy) = _user(member)
    keys = iam_backends[MEMBER]["aws"].access_keys
    keys[idle].create_date = _days_ago(60)
    keys[busy].create_date = _days_ago(400)
    keys[busy].last_used = AccessKeyLastUsed(
        timestamp=_days_ago(10), service="s3", region="us-east-1"
    )

    quiet = run(handler, iam_8)
    assert (quiet["status"], quiet["message"]) == ("unchanged", "no credential unused 90 days")
    assert _key_status(member) == {idle: "Active", busy: "Active"}

    done = run(handler, iam_22)
    assert done["status"] == "changed"
    (change,) = done["changes"]
    assert change["description"].startswith(f"deactivate access key {idle} (never used, created ")
    assert change["description"].endswith("; threshold 45 days)")
    assert done["rollback_data"]["keys"] == [idle]
    assert _key_status(member) == {idle: "Inactive", busy: "Active"}

    member.client("iam").update_access_key(UserName=USER, AccessKeyId=idle, Status="Active")
    keys[idle].create_date = _days_ago(100)
    again = run(handler, iam_8)
    assert [c["description"][-len("threshold 90 days)") :] for c in again["changes"]] == [
        "threshold 90 days)"
    ]
    assert _key_status(member) == {idle: "Inactive", busy: "Active"}


def test_a_password_is_never_deleted_unless_delete_passwords_is_true(
    member: boto3.Session,
) -> None:
    iam_8, iam_22, keys = _user(member)
    user = iam_backends[MEMBER]["aws"].users[USER]
    user.create_date = _days_ago(400)
    user.password_last_used = _days_ago(200)

    for finding in (iam_8, iam_22):
        for params in ({}, {"unused_days": 0}):
            result = run(handler, finding, params=params)
            assert "iam:DeleteLoginProfile" not in {c["action"] for c in result["changes"]}
            assert not result["rollback_data"].get("password_deleted")
            assert _state(member)["password"] is True

    user.password_last_used = _days_ago(60)
    kept = run(handler, iam_8, params={"delete_passwords": True})
    assert kept["status"] == "unchanged"
    assert _state(member)["password"] is True

    done = run(handler, iam_22, params={"delete_passwords": True})
    assert [c["action"] for c in done["changes"]] == ["iam:DeleteLoginProfile"]
    assert done["rollback_data"]["password_deleted"] is True
    assert _state(member) == {"keys": [(k, "Inactive") for k in keys], "password": False}
