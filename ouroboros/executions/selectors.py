"""Reads of executions (remediation attempts): the list, newest first, and one execution.

`execution_list` is one Query: ``finding-index`` for a finding's remediation history,
``control-index`` for a control's, ``status-index`` for one outcome, otherwise ``kind-index``
(every execution). A second filter is a filter expression on that Query. Idempotency markers
and rate-limit buckets share the table under other kinds (`ouroboros.models.executions`): they are
never in ``kind-index`` under ``EXECUTION``, the other indexes are filtered on ``kind``, and
`execution_get` reads an id through the table's model and keeps only an `ExecutionModel`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ouroboros.errors import NotFoundError, ValidationError
from ouroboros.models import ExecutionModel, WorkflowItemModel
from ouroboros.models.executions import KIND_EXECUTION, STATUSES
from ouroboros.pagination import QuerySource, query_page

MAX_LIMIT = 200


@dataclass(frozen=True)
class ExecutionFilters:
    """Filters of the executions list; None or "" means "any"."""

    finding_id: str | None = None
    control_id: str | None = None
    status: str | None = None


@dataclass
class ExecutionPage:
    """A page of executions, newest first, and the cursor of the next one."""

    items: list[ExecutionModel]
    next_cursor: str | None
    index: str
    read_count: int
    partial: bool


def _source(index: str, attribute: str, value: str, condition: object) -> QuerySource:
    return QuerySource(
        index,
        value,
        ("execution_id", attribute, "started_at"),
        "started_at",
        forward=False,
        filter_condition=condition,
    )


def execution_list(
    *, filters: ExecutionFilters | None = None, cursor: str | None = None, limit: int = 50
) -> ExecutionPage:
    """One page of executions matching ``filters``, newest first, after ``cursor``."""
    filters = filters or ExecutionFilters()
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")
    status = (filters.status or "").strip() or None
    if status and status not in STATUSES:
        raise ValidationError(f"Status must be one of {', '.join(STATUSES)} (got {status!r})")
    finding_id = (filters.finding_id or "").strip() or None
    control_id = (filters.control_id or "").strip() or None
    keyed = [
        ("finding-index", "finding_id", finding_id, ExecutionModel.finding_id),
        ("control-index", "control_id", control_id, ExecutionModel.control_id),
        ("status-index", "status", status, ExecutionModel.status),
    ]
    present = [k for k in keyed if k[2]]
    condition = None
    for _, _, value, attribute in present[1:]:
        clause = attribute == value
        condition = clause if condition is None else condition & clause
    if present:
        index, attribute_name, value, _ = present[0]
        kind = ExecutionModel.kind == ExecutionModel  # the discriminator: ``kind = EXECUTION``
        condition = kind if condition is None else condition & kind
        source = _source(index, attribute_name, str(value), condition)
    else:
        index = "kind-index"
        source = _source(index, "kind", KIND_EXECUTION, condition)
    page = query_page(
        ExecutionModel,
        [source],
        scope=f"executions|{index}|{finding_id}|{control_id}|{status}",
        item_key="execution_id",
        limit=limit,
        cursor=cursor or None,
    )
    return ExecutionPage(
        items=[ExecutionModel.from_raw_data(item) for item in page.items],
        next_cursor=page.next_cursor,
        index=index,
        read_count=page.read_count,
        partial=page.partial,
    )


def execution_get(*, execution_id: str) -> ExecutionModel:
    """One execution; `NotFoundError` if there is none (idempotency markers are not executions)."""
    execution_id = (execution_id or "").strip()
    if not execution_id or len(execution_id) > 1024:
        raise NotFoundError("No execution id given")
    try:
        item = WorkflowItemModel.get(execution_id)  # comes back as the class of its kind
    except WorkflowItemModel.DoesNotExist:
        raise NotFoundError(f"Execution {execution_id} does not exist") from None
    if not isinstance(item, ExecutionModel):  # an idempotency marker, a rate-limit bucket
        raise NotFoundError(f"Execution {execution_id} does not exist")
    return item


def executions_of_finding(*, finding_id: str) -> list[ExecutionModel]:
    """A finding's executions, newest first."""
    return list(ExecutionModel.finding_index.query(finding_id, scan_index_forward=False))
