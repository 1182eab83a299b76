"""Rolling back a remediation outside the request: the operator asks, the state machine runs it.

1. `execution_rollback_start` (the console's button, ``POST /api/v1/executions/{id}/rollback``)
   checks that the execution can be rolled back (succeeded, not a dry run, has rollback data),
   claims it with a conditional update (``rolled_back_by`` = the rollback's id, so two operators
   never both roll back: the second gets `ConflictError`), records the rollback as an execution
   ``pending`` (trigger ``rollback``) and starts the state machine with a rollback input. It
   returns at once: a reactor may run longer than API Gateway lets a request live (29 s), and a
   rollback cut off half way could never be retried.
2. Parse (`rollback_item_build`) turns that input into one
   `ouroboros.workflow.contracts.RollbackItem`.
3. Dispatch (`rollback_dispatch`) claims the idempotency marker ``rollback#<rollback id>`` (a
   redelivered item runs nothing), invokes the reactor's rollback with the stored rollback data
   and, when it succeeded:

   - marks the original ``rolled_back`` and the rollback ``succeeded`` with its changes;
   - takes the original out of MTTR, from the day bucket it recorded (``mttr_day``);
   - adds an exemption of the control for the finding's account and resource (reason, who,
     expiry `EXEMPTION_DAYS` days): Security Hub's next evaluation finds the resource FAILED
     again and sets the finding NEW, and auto mode must not re-apply the fix just undone;
   - reopens the finding in Security Hub: workflow NEW with a note naming the rollback (after
     the exemption: the update emits a "Findings - Imported" event, which is then skipped);
   - points the stored finding's last remediation at the rollback (shown as ``rolled_back``).

   When the reactor fails (or the task fails before it ran: Record Dispatch Failure calls
   `rollback_failure_record`), the rollback is recorded ``failed`` and the claim on the original
   is released, so it can be tried again.
"""

from __future__ import annotations

import glob
import json
import logging
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import UpdateError

from ouroboros.aggregates.remediation import remediation_time_remove
from ouroboros.aws import client
from ouroboros.controls.configuration import ControlConflictError, control_exemption_add
from ouroboros.controls.exemptions import ExemptionInput
from ouroboros.errors import (
    ConflictError,
    NotFoundError,
    OuroborosError,
    ReactorExecutionError,
    ThrottledError,
    ValidationError,
)
from ouroboros.executions.selectors import execution_get
from ouroboros.executions.services import (
    execution_record,
    finding_last_remediation_set,
    idempotency_claim,
    now_iso,
)
from ouroboros.models import ControlModel, ExecutionModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.models.executions import ExecutionContext
from ouroboros.notify.outcomes import outcome_message
from ouroboros.observability.metrics import REACTOR_ERRORS, metric_record
from ouroboros.securityhub.asff import NormalizedFinding, asff_parse
from ouroboros.securityhub.writeback import finding_workflow_update
from ouroboros.workflow.contracts import RollbackItem, TaskOutcome
from ouroboros.workflow.dispatch import item_correlation, reactor_function_invoke
from ouroboros.workflow.manual import finding_fetch, state_machine_arn

logger = logging.getLogger(__name__)

#: How long the exemption a rollback adds lasts (days).
EXEMPTION_DAYS = 30
#: Attempts at adding the exemption when someone edits the control at the same time.
EXEMPTION_ATTEMPTS = 3


def execution_can_roll_back(execution: ExecutionModel) -> bool:
    """Whether ``execution`` is a real remediation that succeeded, with rollback data, not
    rolled back (or being rolled back) yet."""
    return bool(
        execution.status == "succeeded"
        and not execution.dry_run
        and execution.trigger != "rollback"
        and execution.rollback
        and not execution.rolled_back_by
    )


def _finding_for(execution: ExecutionModel) -> dict[str, Any]:
    """The finding as Security Hub holds it, or a stand-in from the execution (archived since)."""
    try:
        return finding_fetch(finding_id=str(execution.finding_id))
    except NotFoundError:
        return {
            "Id": execution.finding_id,
            "AwsAccountId": execution.account_id,
            "Region": execution.region,
            "Resources": [{"Id": execution.resource_id, "Region": execution.region}],
            "Compliance": {"SecurityControlId": execution.control_id},
        }


def _context_of(
    original: ExecutionModel, *, actor: str, reactor_version: str | None
) -> ExecutionContext:
    """What the rollback's records share: the original's finding and reactor, the operator."""
    context: ExecutionContext = {
        "trigger": "rollback",
        "actor": actor,
        "reactor_id": original.reactor_id,
        "reactor_version": reactor_version or original.reactor_version,
        "control_id": original.control_id,
        "finding_id": original.finding_id,
        "finding_updated_at": original.finding_updated_at,
        "account_id": original.account_id,
        "region": original.region,
        "resource_id": original.resource_id,
        "mode": original.mode,
        "rollback_of": original.execution_id,
    }
    return context


def execution_rollback_start(*, execution_id: str, actor: str) -> ExecutionModel:
    """Ask for the rollback of ``execution_id`` on behalf of ``actor`` (see the module
    docstring); the rollback's execution, ``pending``. `ConflictError` when there is nothing
    to roll back or it is already rolled back (or being rolled back)."""
    if not actor:
        raise ValidationError("actor is required")
    original = execution_get(execution_id=execution_id)
    if original.rolled_back_by or original.status == "rolled_back":
        raise ConflictError(f"execution {execution_id} is already rolled back")
    if not execution_can_roll_back(original):
        raise ConflictError(f"execution {execution_id} has nothing to roll back")
    try:
        reactor = LocalReactorModel.get(str(original.reactor_id))
    except LocalReactorModel.DoesNotExist:
        raise ConflictError(f"reactor {original.reactor_id} is not installed") from None
    token = uuid.uuid4().hex
    rollback_id = f"{now_iso()}#rb{token[:6]}"
    try:
        original.update(
            actions=[ExecutionModel.rolled_back_by.set(rollback_id)],
            condition=ExecutionModel.rolled_back_by.does_not_exist()
            & (ExecutionModel.status == "succeeded"),
        )
    except UpdateError as exc:
        raise ConflictError(f"execution {execution_id} is already rolled back") from exc
    context = _context_of(original, actor=actor, reactor_version=reactor.version)
    pending = execution_record(finding=None, execution_id=rollback_id, status="pending", **context)
    payload = {
        "detail": {"findings": [_finding_for(original)]},
        "ouroboros": {
            "trigger": "rollback",
            "actor": actor,
            "request_id": token,
            "rollback_of": execution_id,
            "execution_id": rollback_id,
        },
    }
    try:
        response = client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn(),
            name=f"rollback-{token}",
            input=json.dumps(payload, default=str),
        )
    except (ClientError, BotoCoreError) as exc:
        _claim_release(original, rollback_id)
        execution_record(
            finding=None,
            execution_id=rollback_id,
            status="failed",
            error=f"the workflow did not start: {exc}"[:2000],
            error_type=type(exc).__name__,
            started_at=pending.started_at,
            finished_at=now_iso(),
            **context,
        )
        raise ThrottledError(f"rollback of {execution_id} not started: {exc}") from exc
    pending.update(actions=[ExecutionModel.sfn_execution_arn.set(response["executionArn"])])
    return pending


def _claim_release(original: ExecutionModel, rollback_id: str) -> None:
    """Let ``original`` be rolled back again (this rollback did not happen)."""
    try:
        original.update(
            actions=[ExecutionModel.rolled_back_by.remove()],
            condition=ExecutionModel.rolled_back_by == rollback_id,
        )
    except UpdateError:
        logger.warning("execution %s: claim of %s already gone", original.execution_id, rollback_id)


def rollback_item_build(
    *, request: Mapping[str, Any], findings: list[Any], sfn_execution: str | None
) -> list[RollbackItem]:
    """The Parse task for a rollback input: its one item, or none (the rollback is then
    recorded ``failed`` and its claim released) when the input names no pending rollback."""
    rollback_id = str(request.get("execution_id") or "")
    original_id = str(request.get("rollback_of") or "")
    try:
        pending = execution_get(execution_id=rollback_id)
        original = execution_get(execution_id=original_id)
    except NotFoundError as exc:
        logger.warning("rollback input names no execution: %s", exc)
        return []
    if pending.status != "pending" or original.rolled_back_by != rollback_id:
        logger.warning("rollback %s of %s is not pending: ignored", rollback_id, original_id)
        return []
    try:
        reactor: LocalReactorModel | None = LocalReactorModel.get(str(original.reactor_id))
    except LocalReactorModel.DoesNotExist:
        reactor = None
    if reactor is None or not reactor.function_arn or len(findings) != 1:
        problem = "the reactor is not installed" if len(findings) == 1 else "one finding expected"
        _failed(original, pending, problem, sfn_execution)
        return []
    return [
        {
            "finding": dict(findings[0]) if isinstance(findings[0], Mapping) else {},
            "control_id": original.control_id,
            "mode": original.mode,
            "dry_run": False,
            "reactor_id": reactor.reactor_id,
            "reactor_version": reactor.version,
            "function_arn": reactor.function_arn,
            "idempotency_key": f"rollback#{rollback_id}",
            "trigger": "rollback",
            "actor": str(pending.actor or ""),
            "sfn_execution_arn": sfn_execution or pending.sfn_execution_arn,
            "rollback_of": original.execution_id,
            "execution_id": rollback_id,
        }
    ]


def _failed(
    original: ExecutionModel,
    rollback: ExecutionModel,
    error: str,
    sfn_execution: str | None,
    *,
    duration_ms: int | None = None,
) -> ExecutionModel:
    _claim_release(original, rollback.execution_id)
    context = _context_of(original, actor=str(rollback.actor or ""), reactor_version=None)
    context["reactor_version"] = rollback.reactor_version
    context["sfn_execution_arn"] = sfn_execution or rollback.sfn_execution_arn
    return execution_record(
        finding=None,
        execution_id=rollback.execution_id,
        status="failed",
        error=error[:2000],
        error_type=error.split(":", 1)[0][:200],
        started_at=rollback.started_at,
        finished_at=now_iso(),
        duration_ms=duration_ms,
        **context,
    )


def rollback_dispatch(item: RollbackItem) -> TaskOutcome:
    """The Dispatch task for a rollback item (see the module docstring)."""
    rollback_id, original_id = str(item["execution_id"]), str(item["rollback_of"])
    pending = execution_get(execution_id=rollback_id)
    original = execution_get(execution_id=original_id)
    key = f"rollback#{rollback_id}"
    if not idempotency_claim(
        finding_id=str(original.finding_id), key=key, execution_id=rollback_id
    ):
        logger.info("rollback %s already dispatched: replay ignored", rollback_id)
        return {"result": {"messages": [], "status": "duplicate"}}
    context = _context_of(original, actor=str(pending.actor or ""), reactor_version=None)
    context["reactor_version"] = item["reactor_version"]
    sfn = item["sfn_execution_arn"] or pending.sfn_execution_arn
    context["sfn_execution_arn"] = sfn
    running = execution_record(
        finding=None,
        execution_id=rollback_id,
        status="running",
        started_at=pending.started_at,
        **context,
    )
    clock = time.monotonic()
    correlation = {**item_correlation(item), "execution_id": rollback_id}
    logger.info("rollback %s of execution %s", rollback_id, original_id, extra=correlation)
    try:
        if not item["function_arn"]:
            raise ValidationError("rollback item: no function_arn")
        result = reactor_function_invoke(
            function_arn=str(item["function_arn"]),
            payload={
                "operation": "rollback",
                "finding": item["finding"],
                "rollback_data": original.rollback.as_dict() if original.rollback else {},
                "correlation": correlation,
            },
        )
    except Exception as exc:
        message = str(exc) if isinstance(exc, OuroborosError) else f"{type(exc).__name__}: {exc}"
        elapsed = int((time.monotonic() - clock) * 1000)
        _failed(original, running, message, sfn, duration_ms=elapsed)
        logger.warning("rollback %s failed: %s", rollback_id, message, extra=correlation)
        metric_record(REACTOR_ERRORS, ReactorId=item["reactor_id"])
        raise ReactorExecutionError(f"[execution {rollback_id}] {message}") from exc
    original.update(actions=[ExecutionModel.status.set("rolled_back")])
    execution = execution_record(
        finding=None,
        execution_id=rollback_id,
        status="succeeded",
        changes=result.get("changes") or [],
        started_at=pending.started_at,
        finished_at=now_iso(),
        duration_ms=int((time.monotonic() - clock) * 1000),
        **context,
    )
    _mttr_take_out(original)
    expires = _exemption_add(original, actor=str(pending.actor or ""), rollback_id=rollback_id)
    _reopen(item["finding"], original, execution, expires)
    if original.finding_id:
        finding_last_remediation_set(
            finding_id=original.finding_id, execution=execution, status="rolled_back"
        )
    done = outcome_message(execution=execution, correlation_id=correlation.get("correlation_id"))
    return {"result": {"messages": [done], "status": "succeeded"}}


def rollback_failure_record(item: RollbackItem, *, error: str) -> ExecutionModel:
    """Record Dispatch Failure for a rollback item the dispatch failed on before it recorded
    anything (e.g. throttled after every retry): the rollback ends ``failed`` and the claim on
    the original is released, so it can be asked again."""
    original = execution_get(execution_id=str(item["rollback_of"]))
    rollback = execution_get(execution_id=str(item["execution_id"]))
    return _failed(original, rollback, error, item["sfn_execution_arn"])


def _mttr_take_out(original: ExecutionModel) -> None:
    if not original.mttr_day or original.mttr_seconds is None:
        return  # never counted (no first-observed time)
    try:
        remediation_time_remove(day=original.mttr_day, seconds=int(original.mttr_seconds))
        original.update(
            actions=[ExecutionModel.mttr_day.remove(), ExecutionModel.mttr_seconds.remove()]
        )
    except Exception as exc:  # the rollback happened; only the dashboard number is off
        logger.warning("execution %s: MTTR not corrected: %s", original.execution_id, exc)


def _exemption_add(original: ExecutionModel, *, actor: str, rollback_id: str) -> datetime | None:
    """Exempt the finding's account and resource from the control's reactor; its expiry, or
    None (logged) when the control could not take it."""
    if not original.control_id or not original.resource_id:
        return None
    expires = datetime.now(UTC) + timedelta(days=EXEMPTION_DAYS)
    account = str(original.account_id or "")
    entry = ExemptionInput(
        account=account if account.isdigit() and len(account) == 12 else "",
        resource_pattern=glob.escape(original.resource_id),
        expires_at=expires,
        reason=(
            f"rolled back by {actor} (execution {rollback_id} of {original.execution_id}): "
            "auto mode must not re-apply the fix"
        ),
    )
    for _ in range(EXEMPTION_ATTEMPTS):
        try:
            control = ControlModel.get(original.control_id, KIND_CONTROL)
            control_exemption_add(
                control_id=original.control_id,
                expected_version=control.version or 0,
                exemption=entry,
                actor=actor,
            )
            return expires
        except ControlConflictError:
            continue
        except (OuroborosError, ControlModel.DoesNotExist) as exc:
            logger.warning("control %s: rollback exemption not added: %s", original.control_id, exc)
            return None
    logger.warning("control %s: rollback exemption not added (conflicts)", original.control_id)
    return None


def _reopen(
    raw: Mapping[str, Any],
    original: ExecutionModel,
    rollback: ExecutionModel,
    expires: datetime | None,
) -> None:
    """Set the finding NEW in Security Hub with a note naming the rollback."""
    try:
        finding: NormalizedFinding = asff_parse(dict(raw))
    except ValidationError:  # the stand-in of an archived finding: nothing to reopen
        return
    until = f"; exempt from auto-remediation until {expires:%Y-%m-%d}" if expires else ""
    note = (
        f"Rolled back by Ouroboros (execution {rollback.execution_id}, asked by "
        f"{rollback.actor}): the fix of execution {original.execution_id} was undone{until}"
    )
    finding_workflow_update(finding=finding, status="NEW", note=note)
