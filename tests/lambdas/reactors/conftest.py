"""Fixtures for the official reactors' tests: moto with a member account reached by assume-role.

The reactor under test runs through its Lambda ``handler``: it takes the account from the
finding (222222222222, not the caller's 123456789012) and assumes the member remediation role
there with the configured ExternalId. ``member`` is a separate session in that account, used to
build the bad state and to read the state afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ouroboros.aws import assume_role_session, reset_sessions
from ouroboros.config import reset_config
from tests.reactor_support import MEMBER

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@pytest.fixture
def member(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """moto for every service; a session in the member account 222222222222."""
    monkeypatch.setenv("OUROBOROS_EXTERNAL_ID", "ouroboros-test-external-id")
    with mock_aws():
        reset_config()
        reset_sessions()
        yield assume_role_session(
            f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole",
            external_id="",
            session_name="test-setup",
        )
    reset_sessions()


@pytest.fixture
def caller() -> boto3.Session:
    """The caller's own account (123456789012): it must stay untouched."""
    return boto3.Session(region_name="us-east-1")


def run(handler: Handler, finding: dict[str, Any], **event: Any) -> dict[str, Any]:
    """Invoke a reactor's Lambda handler with ``finding`` (and params / dry_run / rollback)."""
    result = handler({"finding": finding, **event}, None)
    assert result["account_id"] == MEMBER
    return result


def rollback(handler: Handler, finding: dict[str, Any], done: dict[str, Any]) -> dict[str, Any]:
    """Roll back what ``done`` (a remediate result) changed."""
    return run(handler, finding, operation="rollback", rollback_data=done["rollback_data"])
