"""The audit records of the workflow (``sfn_statemachines``) and its idempotency markers.

Every decision ends here: a skipped finding, a started, succeeded or failed reactor run, a
rollback. The idempotency marker ``IDEMPOTENCY#<finding id>#<key>`` is claimed with a conditional
put before a reactor runs: the key is the finding's ``UpdatedAt`` for events (a replayed event
finds the marker and runs nothing), and a fresh request id for manual starts.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import PutError

from ouroboros.errors import NotFoundError
from ouroboros.models import ExecutionModel, FindingModel
from ouroboros.models.executions import KIND_IDEMPOTENCY
from ouroboros.models.findings import LastRemediation
from ouroboros.securityhub.asff import NormalizedFinding

logger = logging.getLogger(__name__)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def execution_id_new() -> str:
    """A time-ordered execution id: ``<ISO time>#<random>``."""
    return f"{now_iso()}#{secrets.token_hex(4)}"


def idempotency_claim(*, finding_id: str, key: str, execution_id: str) -> bool:
    """Claim the marker of (finding, key); False when someone already did (a replay)."""
    marker = ExecutionModel(
        f"IDEMPOTENCY#{finding_id}#{key}",
        kind=KIND_IDEMPOTENCY,
        finding_id=None,
        skip_reason=f"claimed by execution {execution_id}",
        started_at=now_iso(),
    )
    try:
        marker.save(condition=ExecutionModel.execution_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def execution_record(
    *,
    finding: NormalizedFinding | None,
    execution_id: str | None = None,
    **fields: Any,
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
    item.save()
    if finding is not None and item.status in ("succeeded", "failed", "rolled_back"):
        finding_last_remediation_set(finding_id=finding.finding_id, execution=item)
    return item


def finding_last_remediation_set(*, finding_id: str, execution: ExecutionModel) -> None:
    """Point the stored finding (when the collectors stored it) at its latest remediation."""
    pointer = LastRemediation(
        execution_id=execution.execution_id, status=str(execution.status), at=datetime.now(UTC)
    )
    try:
        FindingModel(finding_id).update(
            actions=[FindingModel.last_remediation.set(pointer)],
            condition=FindingModel.finding_id.exists(),
        )
    except Exception as exc:  # absent finding: the collectors have not stored it yet
        if "ConditionalCheckFailed" not in str(exc):
            logger.warning("finding %s: last_remediation not updated: %s", finding_id, exc)


def execution_get(*, execution_id: str) -> ExecutionModel:
    try:
        item = ExecutionModel.get(execution_id)
    except ExecutionModel.DoesNotExist:
        raise NotFoundError(f"execution {execution_id} not found") from None
    if item.kind != "EXECUTION":
        raise NotFoundError(f"execution {execution_id} not found")
    return item


def executions_of_finding(*, finding_id: str) -> list[ExecutionModel]:
    """A finding's executions, newest first."""
    return list(ExecutionModel.finding_index.query(finding_id, scan_index_forward=False))
