"""How a reactor is invoked: the Lambda entry point of every reactor and its event contract.

Each reactor module ends with ``handler = reactor_handler(MyReactor)``; the manifest's
``entry_point`` names it. The event (what Dispatch, the console and tests send)::

    {"operation": "remediate",        # or "rollback"; default "remediate"
     "finding": {...},                # the ASFF finding, as Security Hub sent it
     "params": {...},                 # the control's parameters (schema defaults fill gaps)
     "dry_run": false,                # remediate only: report, change nothing
     "rollback_data": {...},          # rollback only: what remediate returned
     "correlation": {...}}            # optional: the keys of the workflow's log lines

The reactor logs one line per invocation (what it did, or why it failed) with the event's
``correlation`` keys (`CORRELATION_KEYS`: the correlation id that follows the finding through the
workflow's log lines, the execution, finding, control, reactor and account) as the record's
fields and the correlation id in its text, at INFO whatever the runtime's default level.

The response is `RemediationResult.to_dict()`. Errors propagate as exceptions (their class names,
e.g. ``ReactorParamsError`` or ``MemberAccessError``, are what the state machine matches).

The session is always in the finding's own account (``finding.AwsAccountId``) and region,
through the member remediation role and the configured ExternalId (`reactor_sdk.session`), with
a session policy equal to the reactor's declared permissions: it can do nothing else there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from reactor_sdk.errors import ReactorInputError, ReactorRollbackError
from reactor_sdk.finding import Finding
from reactor_sdk.session import member_session

if TYPE_CHECKING:
    import boto3

    from reactor_sdk.base import Reactor, RemediationResult

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)  # the invocation's line is written on Lambda (root: WARNING)

#: The keys of an event's ``correlation`` a reactor logs (the workflow's, see the docstring).
CORRELATION_KEYS = (
    "correlation_id",
    "execution_id",
    "finding_id",
    "control_id",
    "reactor_id",
    "account",
)

SessionFactory = Callable[[Finding], "boto3.Session"]


def finding_session(finding: Finding, reactor_cls: type[Reactor]) -> boto3.Session:
    """A session in the finding's own account and region, through the member role, limited to
    the permissions ``reactor_cls`` declares (its session policy)."""
    return member_session(
        finding.account_id, region=finding.region, permissions=reactor_cls.permissions
    )


def reactor_invoke(
    reactor_cls: type[Reactor],
    event: Mapping[str, Any],
    *,
    session_factory: SessionFactory | None = None,
) -> RemediationResult:
    """Run ``reactor_cls`` on an invocation ``event`` (see the module docstring)."""
    if session_factory is None:

        def session_factory(finding: Finding) -> boto3.Session:
            return finding_session(finding, reactor_cls)

    if not isinstance(event, Mapping):
        raise ReactorInputError("event: expected an object")
    operation = event.get("operation", "remediate")
    if operation not in ("remediate", "rollback"):
        raise ReactorInputError(f"event: unknown operation {operation!r}")
    finding = Finding.from_asff(event.get("finding") or {})
    reactor = reactor_cls()
    if operation == "rollback":
        data = event.get("rollback_data")
        if not isinstance(data, Mapping) or not data:
            raise ReactorRollbackError(f"{reactor_cls.id}: rollback needs the rollback_data")
        result = reactor.rollback(finding, session_factory(finding), data)
    else:
        params = reactor_cls.validate_params(event.get("params"))
        dry_run = bool(event.get("dry_run", False))
        result = reactor.remediate(finding, session_factory(finding), params, dry_run)
    keys = correlation_of(event)
    logger.info(
        "reactor %s %s %s on %s (%s): %s, %d change(s) [correlation %s]",
        reactor_cls.id,
        reactor_cls.version,
        operation,
        finding.id,
        finding.account_id,
        result.status,
        len(result.changes),
        keys.get("correlation_id", "-"),
        extra=keys,
    )
    return result


def correlation_of(event: object) -> dict[str, str]:
    """The `CORRELATION_KEYS` of an event's ``correlation`` (short strings; none when absent)."""
    given = event.get("correlation") if isinstance(event, Mapping) else None
    if not isinstance(given, Mapping):
        return {}
    return {key: str(given[key])[:300] for key in CORRELATION_KEYS if given.get(key)}


def reactor_handler(
    reactor_cls: type[Reactor],
) -> Callable[[Mapping[str, Any], Any], dict[str, Any]]:
    """The Lambda handler of ``reactor_cls``."""

    def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        try:
            return reactor_invoke(reactor_cls, event).to_dict()
        except Exception as exc:
            keys = correlation_of(event)
            logger.warning(
                "reactor %s %s failed: %s [correlation %s]",
                reactor_cls.id,
                reactor_cls.version,
                type(exc).__name__,
                keys.get("correlation_id", "-"),
                extra=keys,
            )
            raise

    handler.__doc__ = f"Lambda entry point of reactor {reactor_cls.id}."
    return handler
