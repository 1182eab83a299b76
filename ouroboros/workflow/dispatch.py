"""The Dispatch task (run one finding's reactor, exactly once) and Record Dispatch Failure.

`finding_dispatch` takes an item of `ouroboros.workflow.parse.event_parse`
(`ouroboros.workflow.contracts.DispatchItem`):

1. claims the idempotency marker (finding id, ``UpdatedAt`` or the manual request id); a replay
   finds it taken, runs nothing and returns no message;
2. takes a token of the finding's account-region budget (`rate_token_take`: paced, or
   `ThrottledError` for the state machine to retry; the marker is released first so the retry
   can claim it again);
3. records the execution ``running`` and sets the finding NOTIFIED (not for a dry run);
4. invokes the installed reactor function with the finding (the reactor assumes the member role
   of the finding's own ``AwsAccountId``);
5. records ``succeeded`` with changes, rollback data and duration and sets the finding RESOLVED
   with a note; or records ``failed`` with the reactor's error and raises
   `ReactorExecutionError` (the state machine's Catch sends it to Record Dispatch Failure).

An item that names the execution it rolls back (`ouroboros.workflow.contracts.RollbackItem`)
runs the reactor's rollback instead (`ouroboros.workflow.rollback.rollback_dispatch`).

Both tasks return ``{"result": {"messages": [...]}}`` for Send Notification
(`ouroboros.workflow.contracts.TaskOutcome`). When the control's ticket behaviour (the item's
``ticket``) wants a ticket for the outcome, the message carries its
`ouroboros.tickets.services.TicketRequest` (``ticket``) and Send Notification opens it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from ouroboros.aws import client
from ouroboros.errors import ReactorExecutionError, ThrottledError, ValidationError
from ouroboros.executions.selectors import execution_get
from ouroboros.executions.services import (
    execution_id_new,
    execution_record,
    idempotency_claim,
    idempotency_release,
    now_iso,
)
from ouroboros.models.executions import ExecutionContext
from ouroboros.notify.outcomes import outcome_message
from ouroboros.observability.logging import correlation_id_of, correlation_keys
from ouroboros.observability.metrics import REACTOR_ERRORS, WORKFLOW_FAILURES, metric_record
from ouroboros.securityhub.asff import NormalizedFinding, asff_parse
from ouroboros.securityhub.writeback import finding_workflow_update, ocsf_identity_of
from ouroboros.tickets.services import ticket_request
from ouroboros.workflow.contracts import (
    DispatchFailureInput,
    DispatchItem,
    RollbackItem,
    TaskOutcome,
    dispatch_failure_of,
    dispatch_item_of,
    rollback_item_of,
)
from ouroboros.workflow.ratelimit import rate_token_take

logger = logging.getLogger(__name__)

_RECORDED = re.compile(r"\[execution ([^\]]+)\]")


#: Reactor invocations are never retried by botocore: a read timeout or a server error may come
#: after the reactor ran, and sending the Invoke again would remediate twice. The read timeout
#: outlasts Lambda's longest run (900 s). Only Lambda's throttling answers (the invocation was
#: refused, nothing ran) are retried, here, after `INVOKE_THROTTLE_DELAYS`.
INVOKE_CONFIG = BotoConfig(read_timeout=910, retries={"mode": "standard", "total_max_attempts": 1})
INVOKE_THROTTLED = ("TooManyRequestsException", "ThrottlingException", "EC2ThrottledException")
INVOKE_THROTTLE_DELAYS = (0.5, 1.0, 2.0, 4.0)


def reactor_function_invoke(*, function_arn: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Invoke a reactor function synchronously; its result, or `ReactorExecutionError`.

    `ThrottledError` when Lambda kept refusing the invocation (the reactor did not run).
    """
    lam = client("lambda", config=INVOKE_CONFIG)
    data = json.dumps(payload, default=str).encode()
    for delay in (*INVOKE_THROTTLE_DELAYS, None):
        try:
            response = lam.invoke(FunctionName=function_arn, Payload=data)
            break
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in INVOKE_THROTTLED:
                raise ReactorExecutionError(f"{code or 'ClientError'}: {exc}") from exc
            if delay is None:
                raise ThrottledError(f"Lambda throttled the reactor invocation ({code})") from exc
            time.sleep(delay)
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            raise ReactorExecutionError(
                f"{type(exc).__name__}: the reactor did not answer; it may have run, so it is "
                "not invoked again (check the resource, then remediate by hand)"
            ) from exc
    body = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        error_type = str(body.get("errorType") or "Error")
        raise ReactorExecutionError(f"{error_type}: {body.get('errorMessage') or 'no message'}")
    if not isinstance(body, dict):
        raise ReactorExecutionError(f"reactor returned {type(body).__name__}, not an object")
    return body


def _release(finding: NormalizedFinding, key: str) -> None:
    idempotency_release(finding_id=finding.finding_id, key=key)


def finding_dispatch(*, item: Mapping[str, Any]) -> TaskOutcome:
    """Run the reactor of one item (see the module docstring).

    ``item`` comes from Step Functions: `dispatch_item_of` refuses anything but an object, and
    the keys are read as a `DispatchItem` (a missing ``idempotency_key`` falls back to the
    finding's ``UpdatedAt``; a missing ``function_arn`` fails the run and is recorded).
    """
    rollback = rollback_item_of(item) if isinstance(item, Mapping) else None
    if rollback is not None:  # an operator's rollback (Parse built it)
        from ouroboros.workflow.rollback import rollback_dispatch  # it imports this module

        return rollback_dispatch(rollback)
    return _dispatch(dispatch_item_of(item))


def _params(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The item's parameters; None when they are not an object."""
    params = item.get("params")
    if params is None:
        return {}
    return dict(params) if isinstance(params, Mapping) else None


def _dispatch(item: DispatchItem) -> TaskOutcome:
    finding = asff_parse(item["finding"] or {})
    identity = ocsf_identity_of(item.get("ocsf"))
    if identity is not None:  # it arrived as OCSF: written back through BatchUpdateFindingsV2
        finding = replace(finding, ocsf=identity)
    params = _params(item)
    if params is None:  # never run a reactor on other parameters than the control's
        raise ValidationError("dispatch item: params must be an object")
    execution_id = execution_id_new()
    key = str(item["idempotency_key"] or finding.updated_at)
    if not idempotency_claim(finding_id=finding.finding_id, key=key, execution_id=execution_id):
        logger.info("finding %s (%s) already dispatched: replay ignored", finding.finding_id, key)
        return {"result": {"messages": [], "status": "duplicate"}}
    try:
        rate_token_take(account_id=finding.account_id, region=finding.region or "")
    except ThrottledError:
        _release(finding, key)
        raise
    dry_run = bool(item["dry_run"])
    record: ExecutionContext = {
        "trigger": item["trigger"],
        "actor": item["actor"],
        "reactor_id": item["reactor_id"],
        "reactor_version": item["reactor_version"],
        "mode": item["mode"],
        "dry_run": dry_run,
        "params": params or None,
        "control_id": item["control_id"],
        "sfn_execution_arn": item["sfn_execution_arn"],
    }
    started = execution_record(
        finding=finding, execution_id=execution_id, status="running", **record
    )
    if not dry_run:
        finding_workflow_update(finding=finding, status="NOTIFIED")
    clock = time.monotonic()
    correlation = {**item_correlation(item), "execution_id": execution_id}
    payload = {
        "operation": "remediate",
        "finding": item["finding"],
        "params": params,
        "dry_run": dry_run,
        "correlation": correlation,  # for the reactor's log line (`reactor_sdk.handler`)
    }
    logger.info(
        "execution %s: invoking reactor %s %s%s",
        execution_id,
        item["reactor_id"],
        item["reactor_version"],
        " (dry run)" if dry_run else "",
        extra=correlation,
    )
    try:
        if not item["function_arn"]:  # nothing to invoke: fail the run (recorded below)
            raise ValidationError("dispatch item: no function_arn")
        result = reactor_function_invoke(function_arn=str(item["function_arn"]), payload=payload)
    except Exception as exc:
        message = (
            str(exc)
            if isinstance(exc, ReactorExecutionError | ThrottledError)
            else f"{type(exc).__name__}: {exc}"
        )
        if isinstance(exc, ThrottledError):  # nothing ran: the state machine's retry may claim
            message = f"ThrottledError: {message}"
        execution_record(
            finding=finding,
            execution_id=execution_id,
            status="failed",
            error=message[:2000],
            error_type=message.split(":", 1)[0],
            started_at=started.started_at,
            finished_at=_now(),
            duration_ms=int((time.monotonic() - clock) * 1000),
            **record,
        )
        if isinstance(exc, ThrottledError):
            _release(finding, key)
            raise ThrottledError(f"[execution {execution_id}] {message}") from exc
        logger.warning("execution %s failed: %s", execution_id, message, extra=correlation)
        metric_record(REACTOR_ERRORS, ReactorId=item["reactor_id"])
        raise ReactorExecutionError(f"[execution {execution_id}] {message}") from exc
    changes = result.get("changes") or []
    execution = execution_record(
        finding=finding,
        execution_id=execution_id,
        status="succeeded",
        changes=changes,
        rollback=result.get("rollback_data") or None,
        started_at=started.started_at,
        finished_at=_now(),
        duration_ms=int((time.monotonic() - clock) * 1000),
        **record,
    )
    if not dry_run:
        note = (
            f"Remediated by Ouroboros reactor {item['reactor_id']} "
            f"{item['reactor_version']}: {len(changes)} change(s); execution {execution_id}"
        )
        finding_workflow_update(finding=finding, status="RESOLVED", note=note)
    logger.info(
        "execution %s succeeded: %d change(s)", execution_id, len(changes), extra=correlation
    )
    done = outcome_message(execution=execution, correlation_id=correlation.get("correlation_id"))
    _ticket_ask(done, item, finding, key=key, dry_run=dry_run, status="succeeded")
    return {"result": {"messages": [done], "status": "succeeded"}}


def _ticket_ask(
    message: dict[str, Any],
    item: Mapping[str, Any],
    finding: NormalizedFinding | None,
    *,
    key: str,
    dry_run: bool,
    status: str,
) -> None:
    """Put on ``message`` the ticket the control's behaviour wants for this outcome, if any."""
    identity = ocsf_identity_of(item.get("ocsf"))
    request = ticket_request(
        behaviour=str(item.get("ticket") or "off"),
        dry_run=dry_run,
        status=status,
        version=key,
        title=finding.title if finding else None,
        severity=finding.severity_label if finding else None,
        metadata_uid=identity.metadata_uid if identity else None,
    )
    if request is not None:
        message["ticket"] = dict(request)


def _now() -> str:
    return now_iso()


def dispatch_failure_record(*, item: Mapping[str, Any]) -> TaskOutcome:
    """Record Dispatch Failure: the Catch input (item + ``error``) -> a failure message.

    The dispatch already recorded the execution when the reactor raised; an error before that
    (a bad finding, throttling after every retry, DynamoDB down) is recorded here. ``item``
    comes from Step Functions: `dispatch_failure_of` refuses anything but an object, and the keys
    are read as a `DispatchFailureInput` (a missing one as None, a bad finding or error as none).
    """
    failure = dispatch_failure_of(item)
    metric_record(WORKFLOW_FAILURES)
    return _failure_record(failure, rollback_item_of(item))


def item_correlation(item: object) -> dict[str, str]:
    """The correlation keys of a Dispatch or Record Dispatch Failure input, for its log lines
    (`ouroboros.observability.logging`); what can be read of a malformed one, never an error."""
    if not isinstance(item, Mapping):
        return {}
    keys = correlation_keys(
        control_id=item.get("control_id"),
        reactor_id=item.get("reactor_id"),
        execution_id=item.get("execution_id"),  # a rollback's own execution
    )
    try:
        finding = asff_parse(item.get("finding") or {})
    except Exception:
        return keys
    version = str(item.get("idempotency_key") or finding.updated_at)
    correlation_id = item.get("correlation_id") or correlation_id_of(
        finding_id=finding.finding_id, version=version
    )
    return {
        **correlation_keys(
            correlation_id=correlation_id,
            finding_id=finding.finding_id,
            control_id=finding.control_id,
            account=finding.account_id,
        ),
        **keys,
    }


def _failure_record(item: DispatchFailureInput, rollback: RollbackItem | None) -> TaskOutcome:
    cid = item_correlation(item).get("correlation_id")
    error = item["error"]
    error = error if isinstance(error, Mapping) else {}
    name = str(error.get("Error") or "Error")[:200]
    cause = error.get("Cause") or ""
    with contextlib.suppress(ValueError, AttributeError):
        cause = json.loads(cause).get("errorMessage", cause)
    try:
        finding: NormalizedFinding | None = asff_parse(item["finding"] or {})
    except Exception:
        finding = None
    recorded = _RECORDED.search(str(cause))
    key = str(item["idempotency_key"] or (finding.updated_at if finding else ""))
    if recorded:  # the dispatch recorded the failed execution itself
        execution = execution_get(execution_id=recorded.group(1))
        message = outcome_message(execution=execution, correlation_id=cid)
        _ticket_ask(message, item, finding, key=key, dry_run=bool(item["dry_run"]), status="failed")
        return {"result": {"messages": [message], "status": "failed"}}
    if rollback is not None:  # a rollback that failed before it ran: end it, release its claim
        from ouroboros.workflow.rollback import rollback_failure_record  # imports this module

        execution = rollback_failure_record(rollback, error=f"{name}: {cause}")
        return {
            "result": {
                "messages": [outcome_message(execution=execution, correlation_id=cid)],
                "status": "failed",
            }
        }
    execution = execution_record(
        finding=finding,
        status="failed",
        error=f"{name}: {cause}"[:2000],
        error_type=name,
        trigger=item["trigger"],
        actor=item["actor"],
        reactor_id=item["reactor_id"],
        reactor_version=item["reactor_version"],
        dry_run=bool(item["dry_run"]),
        params=_params(item) or None,
        control_id=item["control_id"],
        sfn_execution_arn=item["sfn_execution_arn"],
        finished_at=_now(),
    )
    message = outcome_message(execution=execution, correlation_id=cid)
    _ticket_ask(message, item, finding, key=key, dry_run=bool(item["dry_run"]), status="failed")
    return {"result": {"messages": [message], "status": "failed"}}
