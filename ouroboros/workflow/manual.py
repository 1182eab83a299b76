"""Operator action: start a remediation of one finding now (rollbacks: `workflow.rollback`).

- `remediation_start` fetches the finding from Security Hub and starts the state machine (the
  same definition events start) with a manual input naming the actor; the execution is always
  named (``manual-<request id>``), and the request id is the idempotency key, so one request
  remediates once and a second request is a new remediation. A finding whose provenance is
  refused (`ouroboros.workflow.provenance`) starts nothing: the refusal is recorded as a skipped
  execution of the actor and raised as `ConflictError` with its reason.
- A finding whose control has no installed reactor starts nothing either: `ConflictError`
  says so (the console never reports "Dry run started" for a run that cannot happen).
- The request records nothing else: the workflow records the run (``running``, then how it
  ended), so the finding's page shows its progress.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.errors import ConflictError, NotFoundError, ValidationError
from ouroboros.executions.services import execution_record
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.securityhub.asff import NormalizedFinding, asff_parse
from ouroboros.securityhub.ocsf import ocsf_to_asff
from ouroboros.workflow.provenance import finding_provenance_problem


def state_machine_arn() -> str:
    config = get_config()
    account = client("sts").get_caller_identity()["Account"]
    return f"arn:aws:states:{config.region}:{account}:stateMachine:{config.state_machine_name}"


def finding_fetch(*, finding_id: str) -> dict[str, Any]:
    """The finding as Security Hub holds it now (ASFF); `NotFoundError` when it has none.

    With ``OUROBOROS_SECURITYHUB_V2`` ``on``, a finding ``GetFindings`` does not know is looked up
    with ``GetFindingsV2``; with ``only``, there alone. A V2 finding is returned as its
    ASFF-shaped conversion (`ocsf_to_asff`, what reactors get); the write-back finds its V2
    handle on the stored item (`ouroboros.securityhub.writeback`).
    """
    mode = get_config().securityhub_v2
    securityhub = client("securityhub")
    if mode != "only":
        found = securityhub.get_findings(
            Filters={"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]}, MaxResults=1
        )["Findings"]
        # Only an exact match counts (an emulator that ignores the filter must not remediate
        # another).
        found = [f for f in found if f.get("Id") == finding_id]
        if found:
            return dict(found[0])
    if mode != "off":
        uid = {
            "FieldName": "finding_info.uid",
            "Filter": {"Value": finding_id, "Comparison": "EQUALS"},
        }
        found = securityhub.get_findings_v2(
            Filters={"CompositeFilters": [{"StringFilters": [uid]}]}, MaxResults=1
        )["Findings"]
        found = [f for f in found if (f.get("finding_info") or {}).get("uid") == finding_id]
        if found:
            return ocsf_to_asff(found[0])
    raise NotFoundError(f"finding {finding_id} not found in Security Hub")


def remediation_start(*, finding_id: str, actor: str, dry_run: bool = False) -> str:
    """Start the workflow for one finding on behalf of ``actor``; the execution ARN."""
    if not actor:
        raise ValidationError("actor is required")
    finding = finding_fetch(finding_id=finding_id)
    problem = finding_provenance_problem(finding)
    if problem:
        _refusal_record(finding, actor=actor, dry_run=dry_run, reason=problem)
        raise ConflictError(f"finding {finding_id} is not remediated: {problem}")
    _reactor_check(finding)
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


def _reactor_check(raw: dict[str, Any]) -> None:
    """`ConflictError` when the finding's control has no installed reactor to run."""
    try:
        control_id = asff_parse(raw).control_id
    except ValidationError:
        return  # Parse records why it skips a finding it cannot read
    if not control_id:
        return
    try:
        reactor_id = ControlModel.get(control_id, KIND_CONTROL).reactor_id
    except ControlModel.DoesNotExist:
        reactor_id = None
    if not reactor_id:
        raise ConflictError(f"control {control_id} has no reactor assigned: nothing to run")
    try:
        reactor = LocalReactorModel.get(reactor_id)
    except LocalReactorModel.DoesNotExist:
        reactor = None
    if reactor is None or reactor.status != "installed":
        raise ConflictError(f"reactor {reactor_id} of {control_id} is not installed")


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
