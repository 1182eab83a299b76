"""The Imported pre-filter: an Imported event starts a Standard execution only when a finding
needs one.

The "Findings - Imported" rule of ``statemachine/rules.json`` (ASFF and "Findings Imported V2")
targets the ``finding_prefilter`` function, not the state machine. Its pattern already drops, at
no cost, what is passed, archived, suppressed or resolved, and what Security Hub did not produce.
What it cannot know is each finding's state in Ouroboros: the control's reactor and mode, its
exemptions, whether this version of the finding was already handled. `imported_prefilter`
decides each finding of the event exactly as Parse would (`ouroboros.workflow.parse.finding_judge`,
the same reads, the same `ouroboros.workflow.decision.finding_decide`) and then:

- a finding Parse would run or run dry is passed on: one Standard execution per event, its input
  the event with ``detail.findings`` narrowed to those findings (Parse decides them again, on
  what holds when it runs). The execution is named from the event id and a digest of that input,
  so a redelivered event (EventBridge retries a failed invocation) starts nothing twice;
- a finding whose version was already handled (its idempotency marker exists:
  `ouroboros.executions.services.idempotency_claim`) is skipped, reason ``already_handled``;
- a routine skip (no reactor, not installed, mode off or manual, exempt, not a control
  finding...) writes no execution item: it is counted in the dashboard's per-day ``skipped``
  bucket (`ouroboros.aggregates.remediation.remediation_outcome_add`, one update per event) and
  in the `SKIPS` metric with its reason code. Security Hub re-imports every failing control
  finding at each evaluation, so a control without an auto reactor would otherwise start a
  Standard execution (and write an execution item) every time;
- a refusal (a finding whose provenance is not trusted, not from Security Hub, or malformed)
  is still recorded as a skipped execution item with its reason, as Parse recorded it: it is
  evidence of bad input, rare, and the finding's page must show why nothing ran.

Counting is at least once: a failed invocation that EventBridge retries counts its skips again.
Skips of findings the rule's pattern drops are not counted by Ouroboros (EventBridge does not
tell anyone what a pattern did not match); the console says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ouroboros.aggregates.remediation import remediation_outcome_add
from ouroboros.aws import client
from ouroboros.errors import ValidationError
from ouroboros.executions.services import execution_record
from ouroboros.models import ControlModel, IdempotencyMarkerModel, LocalReactorModel
from ouroboros.observability.logging import correlation_id_of, correlation_keys
from ouroboros.observability.metrics import SKIPS, metric_record
from ouroboros.securityhub.asff import NormalizedFinding
from ouroboros.securityhub.ocsf import finding_parse
from ouroboros.workflow.decision import Decision
from ouroboros.workflow.manual import state_machine_arn
from ouroboros.workflow.parse import SKIP_REASON_MAX, finding_judge

logger = logging.getLogger(__name__)

#: Skip codes recorded as an execution item (refusals), not only counted.
REFUSALS = frozenset({"provenance", "not_securityhub", "invalid_finding"})
#: Step Functions execution names: at most 80 characters of ``[A-Za-z0-9_-]``.
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class PrefilterReport:
    """What the pre-filter did with one event."""

    findings: int = 0
    passed: int = 0
    #: Skip code -> findings counted as skipped (no execution item).
    skipped: dict[str, int] = field(default_factory=dict)
    #: Refusals recorded as skipped execution items.
    refused: int = 0
    execution_arn: str | None = None
    #: True when the execution existed already (a redelivered event).
    already_started: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "findings": self.findings,
            "passed": self.passed,
            "skipped": dict(self.skipped),
            "refused": self.refused,
            "execution_arn": self.execution_arn,
            "already_started": self.already_started,
        }


def _already_handled(finding: NormalizedFinding) -> bool:
    """Whether the dispatch of this finding version (key: its ``UpdatedAt``) was claimed."""
    marker = IdempotencyMarkerModel.marker_id(finding_id=finding.finding_id, key=finding.updated_at)
    try:
        IdempotencyMarkerModel.get(marker)
    except IdempotencyMarkerModel.DoesNotExist:
        return False
    return True


def _log_keys(finding: NormalizedFinding, control: ControlModel | None) -> dict[str, str]:
    """The correlation keys of a finding's log lines (`ouroboros.observability.logging`)."""
    return correlation_keys(
        correlation_id=correlation_id_of(finding_id=finding.finding_id, version=finding.updated_at),
        finding_id=finding.finding_id,
        control_id=finding.control_id,
        reactor_id=control.reactor_id if control else None,
        account=finding.account_id,
    )


def _refusal_record(
    finding: NormalizedFinding | None, reason: str, control: ControlModel | None
) -> None:
    execution_record(
        finding=finding,
        status="skipped",
        skip_reason=reason[:SKIP_REASON_MAX],
        reactor_id=control.reactor_id if control else None,
        mode=control.mode if control else None,
        trigger="event",
        actor="eventbridge",
        sfn_execution_arn=None,
        dry_run=False,
    )


def prefilter_execution_name(event_id: str, payload: str) -> str:
    """``imported-<event id>-<digest of the input>``: the same event starts one execution."""
    stem = _NAME_UNSAFE.sub("-", event_id or "event")[:40]
    digest = hashlib.sha256(payload.encode()).hexdigest()[:24]
    return f"imported-{stem}-{digest}"


def _start(event: Mapping[str, Any], raws: list[Any], report: PrefilterReport) -> None:
    detail = dict(event.get("detail") or {})
    detail["findings"] = raws
    payload = json.dumps({**event, "detail": detail}, sort_keys=True, separators=(",", ":"))
    name = prefilter_execution_name(str(event.get("id") or ""), payload)
    arn = state_machine_arn()
    try:
        response = client("stepfunctions").start_execution(
            stateMachineArn=arn, name=name, input=payload
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
            raise
        report.already_started = True
        report.execution_arn = arn.replace(":stateMachine:", ":execution:") + f":{name}"
        return
    report.execution_arn = str(response["executionArn"])


def imported_prefilter(*, event: Any, now: datetime | None = None) -> PrefilterReport:
    """Decide each finding of an Imported event; start one execution for those that need it,
    count the others as skipped (see the module docstring)."""
    if not isinstance(event, Mapping):
        raise ValidationError("event: expected an object")
    detail = event.get("detail")
    raws = detail.get("findings") if isinstance(detail, Mapping) else None
    if not isinstance(raws, list):
        raise ValidationError("event: detail.findings is missing or not a list")
    moment = now or datetime.now(UTC)
    report = PrefilterReport(findings=len(raws))
    controls: dict[str, ControlModel | None] = {}
    reactors: dict[str, LocalReactorModel | None] = {}
    passed: list[Any] = []
    skipped: Counter[str] = Counter()
    for raw in raws:
        try:
            finding = finding_parse(raw)
        except ValidationError as exc:
            _refusal_record(None, f"invalid finding: {exc}", None)
            metric_record(SKIPS, Reason="invalid_finding")
            report.refused += 1
            continue
        decision, control, _ = finding_judge(
            finding=finding,
            trigger="event",
            dry_run_requested=False,
            now=moment,
            controls=controls,
            reactors=reactors,
        )
        if decision.action != "skip" and _already_handled(finding):
            decision = Decision(
                "skip", "already handled: this version was dispatched", "already_handled"
            )
        if decision.action != "skip":
            passed.append(raw)
            continue
        if decision.code in REFUSALS:
            _refusal_record(finding, decision.reason, control)
            report.refused += 1
        else:
            skipped[decision.code] += 1
        metric_record(SKIPS, Reason=decision.code)
        keys = _log_keys(finding, control)
        logger.info("finding %s skipped: %s", finding.finding_id, decision.reason, extra=keys)
    report.passed = len(passed)
    if passed:
        _start(event, passed, report)
    report.skipped = dict(skipped)
    counted = sum(skipped.values())
    if counted:  # last: a retried invocation restarts nothing (the name) before counting again
        remediation_outcome_add(outcome="skipped", at=moment, count=counted)
    return report
