"""Which credentials a side's models use: the public, per-context seam between tables and sessions.

By default a model reads and writes its table with the caller's own credentials (botocore's
default chain and ``AWS_ENDPOINT_URL_DYNAMODB``, as `ouroboros.models.base.bind_model` sets it up
from the configuration). Two cases need another session:

- A consumer whose Hub lives in another account reads the Hub's tables through the Hub's reader
  role (``OUROBOROS_HUB_ROLE_ARN``, with ``OUROBOROS_HUB_EXTERNAL_ID``; ``bootstrap --role hub``
  creates it). With that setting, a consumer's Hub models are bound to the role's session by
  default (`hub_session`), in every process that reads the Hub (the console, the installer):
  nothing to call. Without it (one account, the local runtime) nothing changes.
- Code that must use a session of its choosing for one side (a tool, a test, a second Hub) wraps
  the calls in `models_bind` / `hub_models_bind`. The binding holds for the block, in this thread
  or asyncio task only (a context variable): two threads bound to two sessions never see each
  other's tables, a new thread starts with the defaults, and leaving the block restores what
  was bound before.

A binding changes whose credentials and which region the calls use, never the table names
(those come from the configuration, so PynamoDB's batch operations, which look results up by
``Meta.table_name``, keep working).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

import boto3
import botocore.session
from pynamodb.connection import Connection, TableConnection
from pynamodb.connection.base import MetaTable

from ouroboros.aws import assume_role_session
from ouroboros.config import ConfigError, get_config

Side = Literal["consumer", "hub"]

#: The session name the consumer's calls carry in the Hub account's CloudTrail.
HUB_SESSION_NAME = "ouroboros-hub-reader"


class SessionConnection(Connection):
    """A PynamoDB connection that signs with a given boto3 session (and its endpoints)."""

    def __init__(self, session: boto3.Session, region: str) -> None:
        super().__init__(region=region)
        self._boto3_session = session
        self._client_lock = threading.Lock()

    @property
    def session(self) -> botocore.session.Session:
        # boto3 has no public accessor for the botocore session it wraps.
        return self._boto3_session._session

    @property
    def client(self) -> Any:  # PynamoDB's private botocore client type
        # PynamoDB creates its client lazily; botocore's client creation is not thread-safe.
        with self._client_lock:
            return super().client


class ModelBinding:
    """A session (made on first use) and region that a side's models use for their calls."""

    def __init__(self, session: Callable[[], boto3.Session], region: str) -> None:
        self._session_factory = session
        self.region = region
        self._lock = threading.Lock()
        self._made: boto3.Session | None = None
        self._connections: dict[str, TableConnection] = {}

    @property
    def session(self) -> boto3.Session:
        with self._lock:
            if self._made is None:
                self._made = self._session_factory()
            return self._made

    def connection(self, table_name: str, meta_table: Callable[[], MetaTable]) -> TableConnection:
        """The connection to ``table_name`` through this binding (one per table, then cached)."""
        session = self.session
        with self._lock:
            found = self._connections.get(table_name)
            if found is None:
                table = meta_table()
                found = TableConnection(table_name, region=self.region, meta_table=table)
                found.connection = SessionConnection(session, self.region)
                found.connection.add_meta_table(table)
                self._connections[table_name] = found
            return found


_bound: ContextVar[Mapping[Side, ModelBinding] | None] = ContextVar(
    "ouroboros_bindings", default=None
)
_defaults_lock = threading.Lock()
_defaults: dict[Side, ModelBinding | None] = {}


def hub_session() -> boto3.Session | None:
    """The session a consumer reads the Hub with: its reader role's (refreshable, with the
    Hub's ExternalId), or None where the Hub is read with the caller's own credentials (no
    ``OUROBOROS_HUB_ROLE_ARN``, or the Hub itself). `MemberAccessError` if it cannot be assumed."""
    config = get_config()
    if config.role != "consumer" or not config.hub_role_arn:
        return None
    return assume_role_session(
        config.hub_role_arn,
        region=config.hub_region_name,
        external_id=config.hub_external_id_value,
        session_name=HUB_SESSION_NAME,
    )


def _default(side: Side) -> ModelBinding | None:
    """The configuration's binding of ``side`` (None: the caller's own credentials)."""
    with _defaults_lock:
        if side not in _defaults:
            config = get_config()
            hub_role = side == "hub" and config.role == "consumer" and config.hub_role_arn
            _defaults[side] = (
                ModelBinding(_hub_session_required, config.hub_region_name) if hub_role else None
            )
        return _defaults[side]


def _hub_session_required() -> boto3.Session:
    session = hub_session()
    if session is None:  # the configuration changed without `bindings_reset`
        raise ConfigError("OUROBOROS_HUB_ROLE_ARN changed: call bind_models() after reset_config()")
    return session


def binding_current(side: Side) -> ModelBinding | None:
    """The binding ``side``'s models use here: this context's, else the configuration's."""
    return (_bound.get() or {}).get(side) or _default(side)


def bindings_reset() -> None:
    """Forget the configuration's bindings (`ouroboros.models.bind_models` calls it)."""
    with _defaults_lock:
        _defaults.clear()


@contextmanager
def models_bind(
    side: Side, session: boto3.Session, *, region: str | None = None
) -> Iterator[ModelBinding]:
    """Bind ``side``'s models to ``session`` for the block, in this thread or task only."""
    config = get_config()
    default_region = config.hub_region_name if side == "hub" else config.region
    binding = ModelBinding(lambda: session, region or session.region_name or default_region)
    token = _bound.set({**(_bound.get() or {}), side: binding})
    try:
        yield binding
    finally:
        _bound.reset(token)


@contextmanager
def hub_models_bind(session: boto3.Session, *, region: str | None = None) -> Iterator[ModelBinding]:
    """Read the Hub's tables with ``session`` for the block (e.g. another Hub's reader role)."""
    with models_bind("hub", session, region=region) as binding:
        yield binding
