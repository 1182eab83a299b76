"""The one AWS session factory: the caller's own session, and sessions in member accounts.

All AWS access in Ouroboros goes through here, so that

- endpoints come from the standard ``AWS_ENDPOINT_URL*`` variables only (the local runtime sets
  them; no code path knows it is local);
- every client retries throttling the same way (botocore's adaptive mode);
- a member account is reached by ``sts:AssumeRole`` with the configured ExternalId, and the
  credentials refresh themselves before they expire (a long reactor run never dies half way on
  expired credentials);
- sessions and clients are cached per (account, role, region) with an explicit reset for tests.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config as BotoConfig
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError

from ouroboros.aws.quiet import secret_call
from ouroboros.config import get_config
from ouroboros.errors import MemberAccessError

#: Retries for every client: adaptive mode adds client-side rate limiting on throttling errors.
RETRY_CONFIG = BotoConfig(retries={"mode": "adaptive", "max_attempts": 10})

_lock = threading.RLock()
_sessions: dict[tuple[str, str, str], boto3.Session] = {}
_clients: dict[tuple[str, str, str, str], Any] = {}

_SELF = "self"


def base_session(region: str | None = None) -> boto3.Session:
    """The caller's own session (Lambda role, profile or local runtime credentials)."""
    region = region or get_config().region
    key = (_SELF, "", region)
    with _lock:
        session = _sessions.get(key)
        if session is None:
            session = boto3.Session(region_name=region)
            _sessions[key] = session
        return session


def assume_role_session(
    role_arn: str,
    *,
    region: str | None = None,
    external_id: str | None = None,
    session_name: str = "ouroboros",
) -> boto3.Session:
    """A session with refreshable credentials of ``role_arn``, assumed from the base session.

    ``external_id`` defaults to the configured ``OUROBOROS_EXTERNAL_ID`` (omitted when empty).
    Raises `MemberAccessError` when the role cannot be assumed.
    """
    config = get_config()
    region = region or config.region
    external_id = config.external_id if external_id is None else external_id
    key = (role_arn, external_id, region)
    with _lock:
        cached = _sessions.get(key)
        if cached is not None:
            return cached
    sts = client("sts", region=region)

    def refresh() -> dict[str, str]:
        kwargs: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": session_name[:64],
            "DurationSeconds": config.sessions_ttl_seconds,
        }
        if external_id:
            kwargs["ExternalId"] = external_id
        try:
            with secret_call():  # botocore would log the temporary credentials at DEBUG
                creds = sts.assume_role(**kwargs)["Credentials"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "ClientError")
            raise MemberAccessError(f"cannot assume {role_arn}: {code}") from exc
        expiry = creds["Expiration"]
        if isinstance(expiry, datetime) and expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=UTC)
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": expiry.isoformat() if isinstance(expiry, datetime) else str(expiry),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=refresh(), refresh_using=refresh, method="sts-assume-role"
    )
    core = botocore.session.get_session()
    core._credentials = credentials  # botocore has no public setter for refreshable credentials
    core.set_config_variable("region", region)
    session = boto3.Session(botocore_session=core, region_name=region)
    with _lock:
        _sessions[key] = session
    return session


def member_session(account_id: str, *, region: str | None = None) -> boto3.Session:
    """A session in ``account_id`` through the configured member remediation role."""
    if not (account_id.isdigit() and len(account_id) == 12):
        raise MemberAccessError(f"not an AWS account id: {account_id!r}")
    return assume_role_session(
        get_config().member_role_arn(account_id),
        region=region,
        session_name=f"ouroboros-{account_id}",
    )


def client(
    service: str,
    *,
    region: str | None = None,
    session: boto3.Session | None = None,
    config: BotoConfig | None = None,
) -> Any:
    """A cached client for ``service`` from ``session`` (default: the base session).

    ``config`` is merged over the retry configuration (e.g. a bulk writer that turns off client-side
    parameter validation); pass a module-level constant, clients are cached per config object.
    """
    session = session or base_session(region)
    region = region or session.region_name or get_config().region
    key = (str(id(session)), service, region, str(id(config)) if config else "")
    with _lock:
        cached = _clients.get(key)
        if cached is None:
            merged = RETRY_CONFIG.merge(config) if config else RETRY_CONFIG
            cached = session.client(service, region_name=region, config=merged)
            _clients[key] = cached
        return cached


def reset_sessions() -> None:
    """Forget every cached session and client (tests; after endpoints change)."""
    with _lock:
        _sessions.clear()
        _clients.clear()
