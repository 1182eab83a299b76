"""Writing executions: the workflow's audit records (``sfn_statemachines``), idempotency markers.

Every decision ends here: a skipped finding, a started, succeeded or failed reactor run, a
rollback. `execution_record` takes the execution's attributes as typed keywords
(`ouroboros.models.executions.ExecutionFields`): a misspelt or unknown attribute is a type error.
The idempotency marker ``IDEMPOTENCY#<finding id>#<key>`` (`IdempotencyMarkerModel`) is claimed
with a conditional put before a reactor runs: the key is the finding's ``UpdatedAt`` for events (a
replayed event finds the marker and runs nothing), and a fresh request id for manual starts.

Each execution that ends (``succeeded``, ``failed``, ``skipped``) is counted once in the dashboard's
``executions#day`` aggregate by outcome (``<day>#<outcome>``: fixed, dry_run, skipped, failed,
rolled_back, see `ouroboros.aggregates.remediation`), and a fix (succeeded, not a dry run, not a
rollback) adds its finding's time to remediate to ``executions#mttr``
(`ouroboros.aggregates.remediation`) and records on the execution the day bucket and seconds it
added (``mttr_day``, ``mttr_seconds``), which a rollback takes out again. The finding's
``last_remediation`` pointer follows real runs only: a dry run changed nothing, and a rollback
sets it itself (`ouroboros.workflow.rollback`). Counting happens on the write that moves an
execution into an ending status, so rewriting an ended execution with the same status does not
count it twice. The same write counts it in the ``Remediations`` metric, by outcome and control
(`ouroboros.observability.metrics`).
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Unpack

from pynamodb.exceptions import PutError

from ouroboros.aggregates.remediation import (
    execution_outcome,
    remediation_outcome_add,
    remediation_time_add,
)
from ouroboros.models import ExecutionModel, FindingModel, IdempotencyMarkerModel
from ouroboros.models.executions import ExecutionFields
from ouroboros.models.findings import LastRemediation
from ouroboros.observability.metrics import remediation_record
from ouroboros.securityhub.asff import NormalizedFinding

logger = logging.getLogger(__name__)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def execution_id_new() -> str:
    """A time-ordered execution id: ``<ISO time>#<random>``."""
    return f"{now_iso()}#{secrets.token_hex(4)}"


def idempotency_claim(*, finding_id: str, key: str, execution_id: str) -> bool:
    """Claim the marker of (finding, key); False when someone already did (a replay)."""
    marker = IdempotencyMarkerModel(
        IdempotencyMarkerModel.marker_id(finding_id=finding_id, key=key),
        claim=f"claimed by execution {execution_id}",
        started_at=now_iso(),
    )
    try:
        marker.save(condition=IdempotencyMarkerModel.execution_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def idempotency_release(*, finding_id: str, key: str) -> None:
    """Delete the marker of (finding, key): nothing ran, so a retry may claim it again."""
    marker_id = IdempotencyMarkerModel.marker_id(finding_id=finding_id, key=key)
    IdempotencyMarkerModel(marker_id).delete()


def execution_record(
    *,
    finding: NormalizedFinding | None,
    execution_id: str | None = None,
    **fields: Unpack[ExecutionFields],
) -> ExecutionModel:
    """Write an execution item (new or complete replacement) and keep the finding's pointer."""
    item = ExecutionModel(execution_id or execution_id_new(), **fields)
    if finding is not None:
        item.finding_id = finding.finding_id
        item.finding_updated_at = finding.updated_at
        item.control_id = item.control_id or finding.control_id
        item.account_id = finding.account_id
        item.region = finding.region
        item.resource_id = finding.resource_id
    item.started_at = item.started_at or now_iso()
    previous = _status_stored(execution_id) if execution_id else None
    item.save()
    if (
        finding is not None
        and item.status in ("succeeded", "failed")
        and not item.dry_run
        and item.trigger != "rollback"
    ):  # a dry run changed nothing; a rollback points the finding at itself (workflow.rollback)
        finding_last_remediation_set(finding_id=finding.finding_id, execution=item)
    if item.status in ENDED_STATUSES and item.status != previous:
        _count_ended(item, finding)
        remediation_record(
            outcome=execution_outcome(
                status=str(item.status), dry_run=bool(item.dry_run), trigger=item.trigger
            ),
            control_id=item.control_id,
        )
    return item


#: The statuses an execution ends in, counted per day on the dashboard.
ENDED_STATUSES = ("succeeded", "failed", "skipped")


def _status_stored(execution_id: str) -> str | None:
    try:
        return ExecutionModel.get(execution_id, attributes_to_get=["status"]).status
    except ExecutionModel.DoesNotExist:
        return None


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _count_ended(item: ExecutionModel, finding: NormalizedFinding | None) -> None:
    """Count an ended execution on the dashboard; a failed count never fails the record."""
    ended_at = _parse_time(item.finished_at) or datetime.now(UTC)
    try:
        outcome = execution_outcome(
            status=str(item.status), dry_run=bool(item.dry_run), trigger=item.trigger
        )
        if outcome is not None:
            remediation_outcome_add(outcome=outcome, at=ended_at)
        if outcome == "fixed" and finding is not None:
            observed = _parse_time(finding.first_observed_at or finding.created_at)
            if observed is not None:
                seconds = remediation_time_add(observed_at=observed, remediated_at=ended_at)
                item.update(
                    actions=[
                        ExecutionModel.mttr_day.set(f"{ended_at.astimezone(UTC):%Y-%m-%d}"),
                        ExecutionModel.mttr_seconds.set(seconds),
                    ]
                )
    except Exception as exc:  # the execution is recorded; only the dashboard count is lost
        logger.warning("execution %s: dashboard counters not updated: %s", item.execution_id, exc)


def finding_last_remediation_set(
    *, finding_id: str, execution: ExecutionModel, status: str | None = None
) -> None:
    """Point the stored finding (when the collectors stored it) at its latest remediation
    (``status``: what the pointer shows, the execution's own status by default)."""
    pointer = LastRemediation(
        execution_id=execution.execution_id,
        status=status or str(execution.status),
        at=datetime.now(UTC),
    )
    try:
        FindingModel(finding_id).update(
            actions=[FindingModel.last_remediation.set(pointer)],
            condition=FindingModel.finding_id.exists(),
        )
    except Exception as exc:  # absent finding: the collectors have not stored it yet
        if "ConditionalCheckFailed" not in str(exc):
            logger.warning("finding %s: last_remediation not updated: %s", finding_id, exc)
