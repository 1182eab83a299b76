"""IAM.7/IAM.10-17 reactor: what the scenario harness does not cover (the minimum length
parameter, stricter settings kept). Fix, dry run and rollback per control: ``scenarios.py``."""

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


def test_stricter_settings_are_kept() -> None:
    wanted = strong_policy({"MinimumPasswordLength": 20, "MaxPasswordAge": 30}, DEFAULTS)
    assert wanted["MinimumPasswordLength"] == 20 and wanted["MaxPasswordAge"] == 30
