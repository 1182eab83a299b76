"""Operator actions: start a remediation of one finding now, roll back an execution.

- `remediation_start` fetches the finding from Security Hub and starts the state machine (the
  same definition events start) with a manual input naming the actor; the execution is always
  named (``manual-<request id>``), and the request id is the idempotency key, so one request
  remediates once and a second request is a new remediation. A finding whose provenance is
  refused (`ouroboros.workflow.provenance`) starts nothing: the refusal is recorded as a skipped
  execution of the actor and raised as `ConflictError` with its reason.
- `execution_rollback` calls the reactor's rollback with the execution's stored rollback data,
  records it as a new execution (trigger ``rollback``), and marks the original ``rolled_back``.
  The original is claimed first with a conditional update, so two operators never both roll back.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from pynamodb.exceptions import UpdateError

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.errors import ConflictError, NotFoundError, ValidationError
from ouroboros.executions.selectors import execution_get
from ouroboros.executions.services import execution_record, now_iso
from ouroboros.models import ExecutionModel, LocalReactorModel
from ouroboros.models.executions import ExecutionContext
from ouroboros.securityhub.asff import NormalizedFinding, asff_parse
from ouroboros.workflow.dispatch import reactor_function_invoke
from ouroboros.workflow.provenance import finding_provenance_problem


def state_machine_arn() -> str:
    config = get_config()
    account = client("sts").get_caller_identity()["Account"]
    return f"arn:aws:states:{config.region}:{account}:stateMachine:{config.state_machine_name}"


def finding_fetch(*, finding_id: str) -> dict[str, Any]:
    """The finding as Security Hub holds it now; `NotFoundError` when it has none."""
    found = client("securityhub").get_findings(
        Filters={"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]}, MaxResults=1
    )["Findings"]
    # Only an exact match counts (an emulator that ignores the filter must not remediate another).
    found = [f for f in found if f.get("Id") == finding_id]
    if not found:
        raise NotFoundError(f"finding {finding_id} not found in Security Hub")
    finding: dict[str, Any] = found[0]
    return finding


def remediation_start(*, finding_id: str, actor: str, dry_run: bool = False) -> str:
    """Start the workflow for one finding on behalf of ``actor``; the execution ARN."""
    if not actor:
        raise ValidationError("actor is required")
    finding = finding_fetch(finding_id=finding_id)
    problem = finding_provenance_problem(finding)
    if problem:
        _refusal_record(finding, actor=actor, dry_run=dry_run, reason=problem)
        raise ConflictError(f"finding {finding_id} is not remediated: {problem}")
    request_id = uuid.uuid4().hex
    payload = {
        "detail": {"findings": [finding]},
        "ouroboros": {
            "trigger": "manual",
            "actor": actor,
            "dry_run": bool(dry_run),
            "request_id": request_id,
        },
    }
    response = client("stepfunctions").start_execution(
        stateMachineArn=state_machine_arn(),
        name=f"manual-{request_id}",
        input=json.dumps(payload, default=str),
    )
    return str(response["executionArn"])


def _refusal_record(raw: dict[str, Any], *, actor: str, dry_run: bool, reason: str) -> None:
    """Record an operator's start refused for the finding's provenance as a skipped run."""
    try:
        finding: NormalizedFinding | None = asff_parse(raw)
    except ValidationError:
        finding = None
    execution_record(
        finding=finding,
        status="skipped",
        skip_reason=reason,
        trigger="manual",
        actor=actor,
        dry_run=bool(dry_run),
        finding_id=None if finding else str(raw.get("Id") or ""),
    )


def _finding_for(execution: ExecutionModel) -> dict[str, Any]:
    try:
        return finding_fetch(finding_id=str(execution.finding_id))
    except NotFoundError:  # archived since: what the reactor needs is in the execution
        return {
            "Id": execution.finding_id,
            "AwsAccountId": execution.account_id,
            "Region": execution.region,
            "Resources": [{"Id": execution.resource_id, "Region": execution.region}],
            "Compliance": {"SecurityControlId": execution.control_id},
        }


def execution_rollback(*, execution_id: str, actor: str) -> ExecutionModel:
    """Roll back a succeeded execution (see the module docstring); the new execution."""
    if not actor:
        raise ValidationError("actor is required")
    original = execution_get(execution_id=execution_id)
    if original.status != "succeeded" or original.dry_run or not original.rollback:
        raise ConflictError(f"execution {execution_id} has nothing to roll back")
    try:
        reactor = LocalReactorModel.get(str(original.reactor_id))
    except LocalReactorModel.DoesNotExist:
        raise ConflictError(f"reactor {original.reactor_id} is not installed") from None
    rollback_id = f"{now_iso()}#rb{uuid.uuid4().hex[:6]}"
    try:
        original.update(
            actions=[ExecutionModel.rolled_back_by.set(rollback_id)],
            condition=ExecutionModel.rolled_back_by.does_not_exist(),
        )
    except UpdateError as exc:
        raise ConflictError(f"execution {execution_id} is already rolled back") from exc
    raw = _finding_for(original)
    common: ExecutionContext = {
        "trigger": "rollback",
        "actor": actor,
        "reactor_id": reactor.reactor_id,
        "reactor_version": reactor.version,
        "control_id": original.control_id,
    }
    try:
        finding: NormalizedFinding | None = asff_parse(raw)
    except ValidationError:  # the stand-in of an archived finding: its fields come from the run
        finding = None
        common.update(
            {
                "finding_id": original.finding_id,
                "finding_updated_at": original.finding_updated_at,
                "account_id": original.account_id,
                "region": original.region,
                "resource_id": original.resource_id,
            }
        )
    clock = time.monotonic()
    try:
        result = reactor_function_invoke(
            function_arn=str(reactor.function_arn),
            payload={
                "operation": "rollback",
                "finding": raw,
                "rollback_data": original.rollback.as_dict(),
            },
        )
    except Exception as exc:
        original.update(actions=[ExecutionModel.rolled_back_by.remove()])
        return execution_record(
            finding=finding,
            execution_id=rollback_id,
            status="failed",
            error=str(exc)[:2000],
            finished_at=now_iso(),
            duration_ms=int((time.monotonic() - clock) * 1000),
            **common,
        )
    original.update(actions=[ExecutionModel.status.set("rolled_back")])
    return execution_record(
        finding=finding,
        execution_id=rollback_id,
        status="succeeded",
        changes=result.get("changes") or [],
        finished_at=now_iso(),
        duration_ms=int((time.monotonic() - clock) * 1000),
        **common,
    )
