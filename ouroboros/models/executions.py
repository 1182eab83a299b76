"""Consumer table ``sfn_statemachines``: one item per remediation attempt (the audit of changes).

Hash key ``execution_id`` (time-ordered: ``<ISO time>#<random>``), so ids sort by start time.
Idempotency markers live in the same table under
``execution_id = "IDEMPOTENCY#<finding id>#<UpdatedAt>"`` with ``kind = "IDEMPOTENCY"``;
a conditional put on them is what makes a replayed event run once.

Indexes:

- ``kind-index`` (kind, started_at): every execution, newest first.
- ``finding-index`` (finding_id, started_at): a finding's remediation history.
- ``status-index`` (status, started_at): executions by outcome.
- ``control-index`` (control_id, started_at): a control's remediations.

Executions are a low-volume stream (one per remediation attempt), so a constant ``kind`` hash
key stays far below a partition's write limit.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from ouroboros.models.base import KindAttribute, OuroborosModel

KIND_EXECUTION = "EXECUTION"
KIND_IDEMPOTENCY = "IDEMPOTENCY"
STATUSES = ("pending", "running", "succeeded", "failed", "skipped", "rolled_back")
TRIGGERS = ("event", "manual", "custom_action", "rollback")


class ExecutionKindIndex(GlobalSecondaryIndex):
    """``kind-index``: (kind, started_at)."""

    class Meta:
        index_name = "kind-index"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    started_at = UnicodeAttribute(range_key=True)


class ExecutionFindingIndex(GlobalSecondaryIndex):
    """``finding-index``: (finding_id, started_at)."""

    class Meta:
        index_name = "finding-index"
        projection = AllProjection()

    finding_id = UnicodeAttribute(hash_key=True)
    started_at = UnicodeAttribute(range_key=True)


class ExecutionStatusIndex(GlobalSecondaryIndex):
    """``status-index``: (status, started_at)."""

    class Meta:
        index_name = "status-index"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    started_at = UnicodeAttribute(range_key=True)


class ExecutionControlIndex(GlobalSecondaryIndex):
    """``control-index``: (control_id, started_at)."""

    class Meta:
        index_name = "control-index"
        projection = AllProjection()

    control_id = UnicodeAttribute(hash_key=True)
    started_at = UnicodeAttribute(range_key=True)


class ExecutionModel(OuroborosModel):
    """A remediation attempt: who or what triggered it, what ran, what changed, how it ended."""

    short_name: ClassVar[str] = "sfn_statemachines"

    class Meta(OuroborosModel.Meta):
        pass

    execution_id = UnicodeAttribute(hash_key=True)
    kind = KindAttribute(default=KIND_EXECUTION)
    finding_id = UnicodeAttribute(null=True)
    finding_updated_at = UnicodeAttribute(null=True)
    control_id = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute(null=True)
    region = UnicodeAttribute(null=True)
    resource_id = UnicodeAttribute(null=True)
    reactor_id = UnicodeAttribute(null=True)
    reactor_version = UnicodeAttribute(null=True)
    trigger = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(null=True)
    mode = UnicodeAttribute(null=True)
    dry_run = BooleanAttribute(default=False)
    status = UnicodeAttribute(null=True)
    skip_reason = UnicodeAttribute(null=True)
    changes: ListAttribute[Any] = ListAttribute(null=True)
    rollback: MapAttribute[str, Any] = MapAttribute(null=True)
    error = UnicodeAttribute(null=True)
    error_type = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    duration_ms = NumberAttribute(null=True)
    sfn_execution_arn = UnicodeAttribute(null=True)
    rolled_back_by = UnicodeAttribute(null=True)

    kind_index = ExecutionKindIndex()
    finding_index = ExecutionFindingIndex()
    status_index = ExecutionStatusIndex()
    control_index = ExecutionControlIndex()
