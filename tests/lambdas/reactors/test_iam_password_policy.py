"""IAM.7 reactor: a strong password policy in the member account."""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.iam_password_policy.reactor import handler, strong_policy
from tests.lambdas.reactors.conftest import rollback, run
from tests.reactor_support import member_finding

pytestmark = pytest.mark.functional
DEFAULTS = {"minimum_length": 14, "max_age_days": 90, "reuse_prevention": 24}


def _finding() -> dict:
    # No IAM.7 sample exists: the real S3.1 sample (an account-level finding), for this control.
    return member_finding("asff_findings/asr_afsbp_s3.1.json", control_id="IAM.7")


def _policy(session: boto3.Session) -> dict | None:
    iam = session.client("iam")
    try:
        return iam.get_account_password_policy()["PasswordPolicy"]
    except iam.exceptions.NoSuchEntityException:
        return None


def test_strong_policy_is_set_and_removed_on_rollback(
    member: boto3.Session, caller: boto3.Session
) -> None:
    result = run(handler, _finding())
    policy = _policy(member)
    assert policy is not None
    assert policy["MinimumPasswordLength"] == 14 and policy["PasswordReusePrevention"] == 24
    assert policy["RequireSymbols"] and policy["RequireNumbers"] and policy["MaxPasswordAge"] == 90
    assert _policy(caller) is None
    rollback(handler, _finding(), result)
    assert _policy(member) is None


def test_weak_policy_is_strengthened_and_restored(member: boto3.Session) -> None:
    member.client("iam").update_account_password_policy(
        MinimumPasswordLength=8, RequireNumbers=True
    )
    result = run(handler, _finding(), params={"minimum_length": 16})
    assert _policy(member)["MinimumPasswordLength"] == 16  # type: ignore[index]
    rollback(handler, _finding(), result)
    restored = _policy(member)
    assert restored is not None
    assert (restored["MinimumPasswordLength"], restored["RequireNumbers"]) == (8, True)
    assert restored["RequireSymbols"] is False


def test_dry_run_changes_nothing(member: boto3.Session) -> None:
    result = run(handler, _finding(), dry_run=True)
    assert result["status"] == "would_change" and _policy(member) is None
    assert result["changes"][0]["after"]["MinimumPasswordLength"] == 14


def test_stricter_settings_are_kept() -> None:
    wanted = strong_policy({"MinimumPasswordLength": 20, "MaxPasswordAge": 30}, DEFAULTS)
    assert wanted["MinimumPasswordLength"] == 20 and wanted["MaxPasswordAge"] == 30
