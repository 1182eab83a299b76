"""The session factory reactors use: the caller's own session, and sessions in member accounts.

It ships inside every reactor artifact (standard library, boto3 and botocore only); the core's
`ouroboros.aws` reuses it with the settings of `ouroboros.config`, so the two share one cache.

- endpoints come from the standard ``AWS_ENDPOINT_URL*`` variables only (the local runtime sets
  them; no code path knows it is local);
- every client retries throttling the same way (botocore's adaptive mode);
- a member account is reached by ``sts:AssumeRole`` with the configured ExternalId, and the
  credentials refresh themselves before they expire (a long reactor run never dies half way on
  expired credentials);
- a member account is assumed through STS in the caller's own region (``AWS_REGION``, where the
  function runs), whatever region the session then acts in: credentials from a regional STS
  endpoint are valid in every region, so one AssumeRole serves every region of an account, and
  no call leaves the caller's region to get them (a function in a VPC needs one STS endpoint);
- sessions and clients are cached per (account, role, region, session policy), the assumed
  credentials per (role, ExternalId, session policy, session name), with an explicit reset for
  tests;
- a reactor's session in a member account carries a **session policy** equal to the permissions
  the reactor declares (`session_policy`, passed as ``Policy`` to ``sts:AssumeRole``): the member
  role holds the union of every installed reactor's permissions, the session only the reactor's
  own. AWS caps that policy at 2,048 characters without whitespace (`SESSION_POLICY_MAX_CHARS`,
  not in botocore's model): the Hub refuses a reactor whose policy cannot fit.

Settings (`SessionSettings.from_env`, the same variables and defaults as the core's configuration):
``AWS_REGION`` / ``AWS_DEFAULT_REGION`` (``us-east-1``), ``OUROBOROS_MEMBER_ROLE_NAME``
(``OuroborosMemberRemediationRole``), ``OUROBOROS_EXTERNAL_ID`` (empty: none sent),
``OUROBOROS_SESSION_TTL_SECONDS`` (``3600``, 900..43200).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config as BotoConfig
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError

from reactor_sdk.errors import MemberAccessError, SessionSettingsError
from reactor_sdk.quiet import secret_call

#: Retries for every client: adaptive mode adds client-side rate limiting on throttling errors.
RETRY_CONFIG = BotoConfig(retries={"mode": "adaptive", "max_attempts": 10})

_lock = threading.RLock()
_sessions: dict[tuple[str, ...], boto3.Session] = {}
#: Assumed credentials per (role ARN, ExternalId, session policy, session name): shared by the
#: sessions of every region (they refresh themselves).
_credentials: dict[tuple[str, str, str, str], RefreshableCredentials] = {}


class _SearchPaths(list[str]):
    """A loader's search paths that keep each folder once: every ``boto3.Session`` appends its
    resource models' folder to its loader's paths, and here many sessions share one loader."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


def _loader_create() -> botocore.loaders.Loader:
    loader = botocore.loaders.create_loader()
    loader._search_paths = _SearchPaths(loader.search_paths)  # no public setter
    return loader


#: One botocore data loader for every session this process creates: a new botocore session
#: otherwise reads and parses each service's model files again (tens of milliseconds per service,
#: for every member account's session). The models are read-only data.
_loader = _loader_create()


def botocore_session() -> botocore.session.Session:
    """A new botocore session that reads service data through the process's one loader.

    Every other part of a session stays its own (credentials, configuration, region); only the
    read-only service models and endpoint data are shared, parsed once per process."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader)
    return core


_clients: dict[tuple[str, str, str, str], Any] = {}

_SELF = "self"

#: AWS's cap on an inline session policy: "can't exceed 2,048 characters" (STS AssumeRole).
SESSION_POLICY_MAX_CHARS = 2048


def session_policy(permissions: Iterable[Any]) -> dict[str, Any]:
    """The session policy of a reactor: one Allow statement per declared permission.

    ``permissions`` in manifest form (``{"actions": [...], "resources": [...]}``) or
    `reactor_sdk.base.Permission` objects (anything with ``to_dict``).
    """
    statements = []
    for permission in permissions:
        item = permission.to_dict() if hasattr(permission, "to_dict") else permission
        statements.append(
            {
                "Effect": "Allow",
                "Action": sorted(item["actions"]),
                "Resource": sorted(item["resources"]),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def session_policy_json(permissions: Iterable[Any]) -> str:
    """`session_policy` as the packed JSON sent to STS (no whitespace: the cap counts it)."""
    return json.dumps(session_policy(permissions), separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class SessionSettings:
    """What the session factory needs to know: region, member role, ExternalId, duration."""

    region: str = "us-east-1"
    member_role_name: str = "OuroborosMemberRemediationRole"
    external_id: str = ""
    sessions_ttl_seconds: int = 3600

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SessionSettings:
        """The settings in ``env`` (default: the process environment)."""
        env = os.environ if env is None else env
        ttl = env.get("OUROBOROS_SESSION_TTL_SECONDS", "3600")
        if not ttl.isdigit() or not 900 <= int(ttl) <= 43200:
            raise SessionSettingsError(
                f"OUROBOROS_SESSION_TTL_SECONDS={ttl!r}: expected 900..43200"
            )
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            member_role_name=env.get(
                "OUROBOROS_MEMBER_ROLE_NAME", "OuroborosMemberRemediationRole"
            ),
            external_id=env.get("OUROBOROS_EXTERNAL_ID", ""),
            sessions_ttl_seconds=int(ttl),
        )

    def member_role_arn(self, account_id: str) -> str:
        """ARN of the remediation role in a member account."""
        return f"arn:aws:iam::{account_id}:role/{self.member_role_name}"


def _settings(settings: SessionSettings | None) -> SessionSettings:
    return settings if settings is not None else SessionSettings.from_env()


def base_session(
    region: str | None = None, *, settings: SessionSettings | None = None
) -> boto3.Session:
    """The caller's own session (Lambda role, profile or local runtime credentials)."""
    region = region or _settings(settings).region
    key = (_SELF, "", region)
    with _lock:
        session = _sessions.get(key)
        if session is None:
            core = botocore_session()
            session = boto3.Session(botocore_session=core, region_name=region)
            _sessions[key] = session
        return session


def assume_role_session(
    role_arn: str,
    *,
    region: str | None = None,
    external_id: str | None = None,
    session_name: str = "ouroboros",
    settings: SessionSettings | None = None,
    policy: str | None = None,
) -> boto3.Session:
    """A session in ``region`` with refreshable credentials of ``role_arn``, assumed from the
    base session through STS in the caller's own region (``settings.region``; see the module
    docstring): the sessions of one role in several regions share one set of credentials.

    ``external_id`` defaults to the configured ``OUROBOROS_EXTERNAL_ID`` (omitted when empty).
    ``policy``: an inline session policy (JSON), which limits the session to what both it and the
    role allow (every refresh passes it again). Raises `MemberAccessError` when the role cannot be
    assumed.
    """
    settings = _settings(settings)
    region = region or settings.region
    external_id = settings.external_id if external_id is None else external_id
    key = (role_arn, external_id, region, policy or "")
    assumed = (role_arn, external_id, policy or "", session_name)
    with _lock:
        cached = _sessions.get(key)
        if cached is not None:
            return cached
        credentials = _credentials.get(assumed)
    if credentials is None:
        credentials = _assumed_credentials(
            role_arn,
            external_id=external_id,
            session_name=session_name,
            settings=settings,
            policy=policy,
        )
        with _lock:
            credentials = _credentials.setdefault(assumed, credentials)
    core = botocore_session()
    core._credentials = credentials  # botocore has no public setter for refreshable credentials
    core.set_config_variable("region", region)
    session = boto3.Session(botocore_session=core, region_name=region)
    with _lock:
        _sessions[key] = session
    return session


def _assumed_credentials(
    role_arn: str,
    *,
    external_id: str,
    session_name: str,
    settings: SessionSettings,
    policy: str | None,
) -> RefreshableCredentials:
    """Refreshable credentials of ``role_arn`` from STS in the caller's own region."""
    sts = client("sts", region=settings.region, settings=settings)

    def refresh() -> dict[str, str]:
        kwargs: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": session_name[:64],
            "DurationSeconds": settings.sessions_ttl_seconds,
        }
        if external_id:
            kwargs["ExternalId"] = external_id
        if policy:
            kwargs["Policy"] = policy
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

    return RefreshableCredentials.create_from_metadata(
        metadata=refresh(), refresh_using=refresh, method="sts-assume-role"
    )


def member_session(
    account_id: str,
    *,
    region: str | None = None,
    settings: SessionSettings | None = None,
    permissions: Iterable[Any] | None = None,
) -> boto3.Session:
    """A session in ``account_id`` through the configured member remediation role.

    ``permissions`` (a reactor's declared permissions) become the session policy: the session
    can do only those, whatever else the member role allows. A reactor's handler always passes
    its own (`reactor_sdk.handler`).
    """
    if not (account_id.isdigit() and len(account_id) == 12):
        raise MemberAccessError(f"not an AWS account id: {account_id!r}")
    settings = _settings(settings)
    policy = session_policy_json(permissions) if permissions is not None else None
    return assume_role_session(
        settings.member_role_arn(account_id),
        region=region,
        session_name=f"ouroboros-{account_id}",
        settings=settings,
        policy=policy,
    )


def client(
    service: str,
    *,
    region: str | None = None,
    session: boto3.Session | None = None,
    config: BotoConfig | None = None,
    settings: SessionSettings | None = None,
) -> Any:
    """A cached client for ``service`` from ``session`` (default: the base session).

    ``config`` is merged over the retry configuration (e.g. a bulk writer that turns off client-side
    parameter validation); pass a module-level constant, clients are cached per config object.
    """
    if session is None:
        session = base_session(region, settings=settings)
    region = region or session.region_name or _settings(settings).region
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
        _credentials.clear()
        _clients.clear()
