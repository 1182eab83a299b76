"""The one session factory of the core: the reactor SDK's (`reactor_sdk.session`), configured.

All AWS access in Ouroboros goes through here. The core reuses the SDK's factory (one cache, one
retry policy, one way into member accounts) with the settings of `ouroboros.config`, so a process
that changes its environment and calls `reset_config()` sees the change here too. The SDK never
imports the core.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from ouroboros.config import get_config
from reactor_sdk import session as sdk
from reactor_sdk.session import RETRY_CONFIG, SessionSettings, reset_sessions

__all__ = [
    "RETRY_CONFIG",
    "assume_role_session",
    "base_session",
    "client",
    "member_session",
    "reset_sessions",
    "session_settings",
]


def session_settings() -> SessionSettings:
    """The SDK's session settings, taken from the core's configuration."""
    config = get_config()
    return SessionSettings(
        region=config.region,
        member_role_name=config.member_role_name,
        external_id=config.external_id,
        sessions_ttl_seconds=config.sessions_ttl_seconds,
    )


def base_session(region: str | None = None) -> boto3.Session:
    """The caller's own session (Lambda role, profile or local runtime credentials)."""
    return sdk.base_session(region, settings=session_settings())


def assume_role_session(
    role_arn: str,
    *,
    region: str | None = None,
    external_id: str | None = None,
    session_name: str = "ouroboros",
) -> boto3.Session:
    """A session with refreshable credentials of ``role_arn`` (see `reactor_sdk.session`)."""
    return sdk.assume_role_session(
        role_arn,
        region=region,
        external_id=external_id,
        session_name=session_name,
        settings=session_settings(),
    )


def member_session(account_id: str, *, region: str | None = None) -> boto3.Session:
    """A session in ``account_id`` through the configured member remediation role."""
    return sdk.member_session(account_id, region=region, settings=session_settings())


def client(
    service: str,
    *,
    region: str | None = None,
    session: boto3.Session | None = None,
    config: BotoConfig | None = None,
) -> Any:
    """A cached client for ``service`` from ``session`` (default: the base session)."""
    return sdk.client(
        service, region=region, session=session, config=config, settings=session_settings()
    )
