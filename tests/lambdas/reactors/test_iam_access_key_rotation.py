"""``iam-access-key-rotation`` beyond its scenario: a key in use is refused, old keys only.

The harness (``test_scenarios.py``) runs the IAM.3 scenario with ``max_age_days`` 0 (dry run,
apply, rollback, untouched caller). Here moto's IAM backend dates the key: its creation is
moved back, and its last use is recorded as moto records a signed request (that is the only
way moto knows of a key's use).
"""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from moto.core.utils import utcnow
from moto.iam.models import AccessKeyLastUsed, iam_backends, mark_account_as_visited

from lambdas.reactors.iam_access_key_rotation.reactor import handler
from lambdas.reactors.iam_access_key_rotation.scenarios import SCENARIOS, USER
from reactor_sdk import ReactorError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def _keys(member: boto3.Session) -> dict[str, str]:
    keys = member.client("iam").list_access_keys(UserName=USER)["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in keys}


def _age(key_id: str, days: int) -> None:
    """Move the key's creation ``days`` back, as if it had been created then."""
    iam_backends[MEMBER]["aws"].access_keys[key_id].create_date = utcnow() - timedelta(days=days)


def _used(key_id: str, days_ago: int) -> None:
    if days_ago == 0:
        mark_account_as_visited(MEMBER, key_id, "s3", "us-east-1")
        return
    iam_backends[MEMBER]["aws"].access_keys[key_id].last_used = AccessKeyLastUsed(
        timestamp=utcnow() - timedelta(days=days_ago), service="s3", region="us-east-1"
    )


def test_refuses_a_key_used_within_refuse_if_used_within_days(member: boto3.Session) -> None:
    finding = scenario_finding(SCENARIOS[0], SCENARIOS[0].arrange(member, MEMBER), MEMBER)
    (key_id,) = _keys(member)
    _age(key_id, 120)
    _used(key_id, 0)

    for dry_run in (True, False):
        with pytest.raises(
            ReactorError,
            match=rf"access key {key_id} of {USER} was used on .* within the last 7 days: "
            "deactivating it would stop what uses it",
        ):
            run(handler, finding, dry_run=dry_run)
    with pytest.raises(ReactorError, match="within the last 30 days"):
        run(handler, finding, params={"refuse_if_used_within_days": 30})
    assert _keys(member) == {key_id: "Active"}

    done = run(handler, finding, params={"refuse_if_used_within_days": 0})
    assert done["status"] == "changed"
    assert _keys(member) == {key_id: "Inactive"}


def test_a_key_last_used_before_the_window_is_rotated(member: boto3.Session) -> None:
    finding = scenario_finding(SCENARIOS[0], SCENARIOS[0].arrange(member, MEMBER), MEMBER)
    (key_id,) = _keys(member)
    _age(key_id, 120)
    _used(key_id, 10)

    with pytest.raises(ReactorError, match="within the last 14 days"):
        run(handler, finding, params={"refuse_if_used_within_days": 14})
    assert _keys(member) == {key_id: "Active"}

    done = run(handler, finding)
    assert done["status"] == "changed"
    assert _keys(member) == {key_id: "Inactive"}


def test_only_keys_older_than_the_rotation_period_are_deactivated(member: boto3.Session) -> None:
    finding = scenario_finding(SCENARIOS[0], SCENARIOS[0].arrange(member, MEMBER), MEMBER)
    (old,) = _keys(member)
    new = member.client("iam").create_access_key(UserName=USER)["AccessKey"]["AccessKeyId"]
    _age(old, 85)

    quiet = run(handler, finding)
    assert (quiet["status"], quiet["message"]) == ("unchanged", "no key to rotate")
    assert _keys(member) == {old: "Active", new: "Active"}

    _age(old, 95)
    done = run(handler, finding)
    assert done["status"] == "changed"
    assert done["rollback_data"]["keys"] == [old]
    assert _keys(member) == {old: "Inactive", new: "Active"}
