"""The Parse task: an event (or a manual start) -> one dispatch item per finding that may run.

Accepted inputs:

- a "Security Hub Findings - Imported" event (trigger ``event``), or a "Findings Imported V2"
  event carrying OCSF findings (trigger ``event``): each is parsed with
  `ouroboros.securityhub.ocsf.finding_parse`, judged like an ASFF finding, and its item carries
  the ASFF-shaped conversion (what the reactor gets) plus its V2 identity (``ocsf``: the
  write-back goes through ``BatchUpdateFindingsV2``);
- a "Security Hub Findings - Custom Action" event (trigger ``custom_action``; the actor is the
  custom action's name);
- a manual start: ``{"detail": {"findings": [...]}, "ouroboros": {"trigger": "manual",
  "actor": "alice", "dry_run": true, "request_id": "..."}}`` (`remediation_start` builds it);
  a bulk run (`ouroboros.findings.bulk`) names its findings instead, ``"ouroboros":
  {..., "finding_ids": [at most 100 ids]}``, read from the findings table
  (`ouroboros.workflow.finding_ids`);
- a rollback: ``{"detail": {"findings": [one]}, "ouroboros": {"trigger": "rollback", "actor":
  ..., "rollback_of": <execution id>, "execution_id": <the rollback's id>}}``
  (`ouroboros.workflow.rollback.execution_rollback_start` builds it): one
  `ouroboros.workflow.contracts.RollbackItem`, built by `rollback_item_build`, no decision (the
  operator asked for exactly this).

Each finding gets a `ouroboros.workflow.decision.Decision` (its provenance first:
`ouroboros.workflow.provenance`, whatever the trigger); a skip is recorded as an execution with
status ``skipped`` and its reason, and yields no item. Output: ``{"items": [item, ...]}``
(`ouroboros.workflow.contracts.ParseOutput`) where an item is a
`ouroboros.workflow.contracts.DispatchItem`, what `ouroboros.workflow.dispatch.finding_dispatch`
takes.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypedDict

from ouroboros.controls.params import control_params, control_params_effective
from ouroboros.errors import ParseFailedError, ValidationError
from ouroboros.executions.services import (
    execution_id_new,
    execution_record,
    idempotency_claim,
)
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.observability.logging import correlation_id_of, correlation_keys
from ouroboros.observability.metrics import SKIPS, metric_record
from ouroboros.securityhub.asff import NormalizedFinding
from ouroboros.securityhub.ocsf import CLASS_COMPLIANCE, finding_parse
from ouroboros.securityhub.writeback import ocsf_identity_dump
from ouroboros.workflow.contracts import DispatchItem, ParseOutput
from ouroboros.workflow.decision import Decision, Trigger, finding_decide
from ouroboros.workflow.finding_ids import findings_by_ids
from ouroboros.workflow.provenance import SECURITY_HUB_PRODUCT, finding_provenance_problem
from ouroboros.workflow.rollback import rollback_item_build

logger = logging.getLogger(__name__)

CUSTOM_ACTION = "Security Hub Findings - Custom Action"
#: Security Hub's own OCSF product (``metadata.product.uid``), as the V2 alternative of the
#: Imported rule narrows on it (``arn:aws*:securityhub:*::productv2/aws/securityhub``).
SECURITY_HUB_PRODUCT_V2 = re.compile(
    r"arn:aws(?:-[a-z]+)*:securityhub:[a-z]{2}(?:-[a-z]+)+-\d+::productv2/aws/securityhub"
)
#: A skip reason quotes the input; an oversized input must not make its audit record too big.
SKIP_REASON_MAX = 2000


class _Origin(TypedDict):
    """Who started the parse: shared by its skip records and its items."""

    trigger: Trigger
    actor: str
    sfn_execution_arn: str | None
    #: An operator's dry run stays one when it is skipped (recorded as what was asked).
    dry_run: bool


def _trigger(event: Mapping[str, Any]) -> tuple[Trigger, str, bool, str]:
    """(trigger, actor, dry_run requested, request id) of an input."""
    manual = event.get("ouroboros")
    if isinstance(manual, Mapping):
        trigger = manual.get("trigger", "manual")
        if trigger != "manual":
            raise ParseFailedError(f"ouroboros.trigger {trigger!r}: expected manual")
        actor = str(manual.get("actor") or "")
        if not actor:
            raise ParseFailedError("a manual start needs ouroboros.actor")
        request_id = str(manual.get("request_id") or uuid.uuid4().hex)
        return "manual", actor, bool(manual.get("dry_run")), request_id
    if event.get("detail-type") == CUSTOM_ACTION:
        name = (event.get("detail") or {}).get("actionName") or "custom action"
        return "custom_action", f"securityhub:{name}", False, str(event.get("id") or "")
    return "event", "eventbridge", False, ""


def _control(control_id: str, cache: dict[str, ControlModel | None]) -> ControlModel | None:
    if control_id not in cache:
        try:
            cache[control_id] = ControlModel.get(control_id, KIND_CONTROL)
        except ControlModel.DoesNotExist:
            cache[control_id] = None
    return cache[control_id]


def _reactor(
    reactor_id: str, cache: dict[str, LocalReactorModel | None]
) -> LocalReactorModel | None:
    if reactor_id not in cache:
        try:
            cache[reactor_id] = LocalReactorModel.get(reactor_id)
        except LocalReactorModel.DoesNotExist:
            cache[reactor_id] = None
    return cache[reactor_id]


def _exemptions(control: ControlModel | None) -> list[dict[str, Any]]:
    return [
        {
            "account": e.account,
            "resource_pattern": e.resource_pattern,
            "tag": e.tag,
            "expires_at": e.expires_at,
            "reason": e.reason,
        }
        for e in (control.exemptions or [] if control else [])
    ]


def _findings_named(finding_ids: Any) -> list[dict[str, Any]]:
    """The stored findings a bulk run names (`ouroboros.workflow.finding_ids`)."""
    if not isinstance(finding_ids, list) or not all(isinstance(i, str) for i in finding_ids):
        raise ParseFailedError("ouroboros.finding_ids: expected a list of finding ids")
    try:
        return findings_by_ids(finding_ids)
    except ValueError as exc:
        raise ParseFailedError(f"ouroboros.finding_ids: {exc}") from None


def finding_judge(
    *,
    finding: NormalizedFinding,
    trigger: Trigger,
    dry_run_requested: bool,
    now: datetime,
    controls: dict[str, ControlModel | None],
    reactors: dict[str, LocalReactorModel | None],
) -> tuple[Decision, ControlModel | None, LocalReactorModel | None]:
    """The decision for one finding, with the control and reactor it was made on (read once per
    id into ``controls`` / ``reactors``): what Parse and the Imported pre-filter
    (`ouroboros.workflow.prefilter`) both decide with."""
    control = _control(finding.control_id, controls) if finding.control_id else None
    reactor_id = control.reactor_id if control else None
    reactor = _reactor(reactor_id, reactors) if reactor_id else None
    installed = reactor is not None and reactor.status == "installed" and bool(reactor.function_arn)
    decision = finding_decide(
        finding=finding,
        trigger=trigger,
        mode=control.mode if control else None,
        reactor_id=reactor_id,
        reactor_installed=installed,
        exemptions=_exemptions(control),
        dry_run_requested=dry_run_requested,
        now=now,
        provenance_problem=finding_provenance_problem(finding.raw),
        ticket=control.ticket if control else None,
    )
    return decision, control, reactor


def event_parse(*, event: Mapping[str, Any], sfn_execution: str = "") -> ParseOutput:
    """Parse an input (see the module docstring) into ``{"items": [...]}``."""
    if not isinstance(event, Mapping):
        raise ParseFailedError("input: expected an object")
    detail = event.get("detail") or {}
    findings = detail.get("findings") if isinstance(detail, Mapping) else None
    if not isinstance(findings, list):
        raise ParseFailedError("input: expected detail.findings to be a list")
    request = event.get("ouroboros")
    if isinstance(request, Mapping) and request.get("trigger") == "rollback":
        rollbacks = rollback_item_build(
            request=request, findings=findings, sfn_execution=sfn_execution or None
        )
        return {"items": list(rollbacks)}
    trigger, actor, dry_run, request_id = _trigger(event)
    if trigger == "manual" and isinstance(request, Mapping) and "finding_ids" in request:
        findings = [*findings, *_findings_named(request["finding_ids"])]
    controls: dict[str, ControlModel | None] = {}
    reactors: dict[str, LocalReactorModel | None] = {}
    now = datetime.now(UTC)
    items: list[DispatchItem] = []
    origin = _Origin(
        trigger=trigger, actor=actor, sfn_execution_arn=sfn_execution or None, dry_run=dry_run
    )
    for raw in findings:
        try:
            finding = finding_parse(raw)
        except ValidationError as exc:
            execution_record(
                finding=None,
                status="skipped",
                skip_reason=f"invalid finding: {exc}"[:SKIP_REASON_MAX],
                **origin,
            )
            metric_record(SKIPS, Reason="invalid_finding")
            continue
        decision, control, reactor = finding_judge(
            finding=finding,
            trigger=trigger,
            dry_run_requested=dry_run,
            now=now,
            controls=controls,
            reactors=reactors,
        )
        reactor_id = control.reactor_id if control else None
        keys = _log_keys(finding, _version(finding, origin, request_id), reactor_id)
        if decision.action == "skip":
            skipped = execution_record(
                finding=finding,
                status="skipped",
                skip_reason=decision.reason[:SKIP_REASON_MAX],
                reactor_id=reactor_id,
                mode=control.mode if control else None,
                **origin,
            )
            keys["execution_id"] = skipped.execution_id
            logger.info("finding %s skipped: %s", finding.finding_id, decision.reason, extra=keys)
            metric_record(SKIPS, Reason=decision.code)
            continue
        assert reactor is not None and control is not None
        items.append(
            _item(finding, control, reactor, decision.action == "dry_run", request_id, origin)
        )
        logger.info("finding %s: %s", finding.finding_id, decision.action, extra=keys)
    return {"items": items}


def _version(finding: NormalizedFinding, origin: _Origin, request_id: str) -> str:
    """The finding's version as the workflow keys it: its ``UpdatedAt`` for an event, the
    request for a manual start or a custom action (the idempotency key of its item)."""
    trigger = origin["trigger"]
    return finding.updated_at if trigger == "event" else f"{trigger}#{request_id}"


def _log_keys(finding: NormalizedFinding, version: str, reactor_id: str | None) -> dict[str, str]:
    """The correlation keys of a finding's log lines (`ouroboros.observability.logging`)."""
    return correlation_keys(
        correlation_id=correlation_id_of(finding_id=finding.finding_id, version=version),
        finding_id=finding.finding_id,
        control_id=finding.control_id,
        reactor_id=reactor_id,
        account=finding.account_id,
    )


def _item(
    finding: NormalizedFinding,
    control: ControlModel,
    reactor: LocalReactorModel,
    dry_run: bool,
    request_id: str,
    origin: _Origin,
) -> DispatchItem:
    trigger = origin["trigger"]
    key = _version(finding, origin, request_id)
    return {
        # The ASFF as received, or the ASFF-shaped conversion of an OCSF finding.
        "finding": dict(finding.raw),
        "control_id": finding.control_id,
        "mode": control.mode,
        "dry_run": dry_run,
        "reactor_id": reactor.reactor_id,
        "reactor_version": reactor.version,
        "function_arn": reactor.function_arn,
        "idempotency_key": key,
        "trigger": trigger,
        "actor": origin["actor"],
        "sfn_execution_arn": origin["sfn_execution_arn"],
        "params": control_params_effective(reactor=reactor, params=control_params(control)),
        "correlation_id": correlation_id_of(finding_id=finding.finding_id, version=key),
        "ocsf": ocsf_identity_dump(finding),
        "ticket": control.ticket or "off",
    }


def _imported_rule_matches(findings: list[NormalizedFinding]) -> bool:
    """Whether the "Findings - Imported" rule of ``statemachine/rules.json`` matches an event
    carrying ``findings``: its ASFF alternative on the ASFF findings, or its OCSF one ("Findings
    Imported V2") on the OCSF findings. EventBridge flattens arrays of objects: each field matches
    when any finding's value matches, not necessarily the same finding's."""
    asff = [f for f in findings if f.ocsf is None]
    ocsf = [f.ocsf for f in findings if f.ocsf is not None]
    return bool(
        (
            any(SECURITY_HUB_PRODUCT.fullmatch(str(f.raw.get("ProductArn", ""))) for f in asff)
            and any(f.compliance_status == "FAILED" for f in asff)
            and any(f.record_state == "ACTIVE" for f in asff)
            and any(f.workflow_status == "NEW" for f in asff)
        )
        or (
            any(SECURITY_HUB_PRODUCT_V2.fullmatch(i.product_uid) for i in ocsf)
            and any(i.class_uid == CLASS_COMPLIANCE for i in ocsf)
            and any(f.compliance_status == "FAILED" for f in findings if f.ocsf is not None)
            and any(f.record_state == "ACTIVE" for f in findings if f.ocsf is not None)
            and any(i.status_id == 1 for i in ocsf)
        )
    )


def imported_impostors_record(*, event: Mapping[str, Any]) -> int:
    """Record as skipped the impostor findings of an "Imported" event the state machine never sees.

    The Imported rule narrows on Security Hub's own product, so an event carrying only findings of
    other products never reaches Parse: without this, a lone impostor finding (stored by the
    ``finding_imported`` function) would leave no trace of why nothing ran. For each finding of
    such an event that Parse would have judged (FAILED, ACTIVE, NEW, its control assigned a
    reactor) and whose provenance is refused, write the skipped execution Parse would have
    written, once per finding version (an idempotency marker: a redelivered event writes
    nothing). When the rule does match, Parse records every finding itself and this does
    nothing. Returns how many skips were recorded; malformed findings are left to the caller.
    """
    detail = event.get("detail") if isinstance(event, Mapping) else None
    raws = detail.get("findings") if isinstance(detail, Mapping) else None
    if not isinstance(raws, list):
        return 0
    findings: list[NormalizedFinding] = []
    for raw in raws:
        try:
            findings.append(finding_parse(raw))
        except ValidationError:
            continue
    if _imported_rule_matches(findings):
        return 0
    controls: dict[str, ControlModel | None] = {}
    recorded = 0
    for finding in findings:
        if (finding.compliance_status, finding.record_state, finding.workflow_status) != (
            "FAILED",
            "ACTIVE",
            "NEW",
        ):
            continue
        problem = finding_provenance_problem(finding.raw)
        control = _control(finding.control_id, controls) if finding.control_id else None
        if problem is None or control is None or not control.reactor_id:
            continue
        execution_id = execution_id_new()
        key = f"provenance#{finding.updated_at}"
        if not idempotency_claim(finding_id=finding.finding_id, key=key, execution_id=execution_id):
            continue
        execution_record(
            finding=finding,
            execution_id=execution_id,
            status="skipped",
            skip_reason=problem[:SKIP_REASON_MAX],
            reactor_id=control.reactor_id,
            mode=control.mode,
            trigger="event",
            actor="eventbridge",
            sfn_execution_arn=None,
        )
        keys = _log_keys(finding, finding.updated_at, control.reactor_id)
        logger.info("finding %s skipped: %s", finding.finding_id, problem, extra=keys)
        metric_record(SKIPS, Reason="provenance")
        recorded += 1
    return recorded
