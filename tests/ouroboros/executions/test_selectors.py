"""Executions are listed newest first by one Query on the index of their filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ouroboros.aws import client
from ouroboros.errors import NotFoundError, ValidationError
from ouroboros.executions.selectors import ExecutionFilters, execution_get, execution_list
from ouroboros.models import ExecutionModel, WorkflowItemModel
from tests.conftest import SharedStage
from tests.findings_factory import sample_asff

pytestmark = pytest.mark.integration

S32 = sample_asff("asr_afsbp_s3.2.json")["Id"]
EC22 = sample_asff("asr_afsbp_ec2.2.json")["Id"]
STATUSES = ("succeeded", "failed", "skipped")


def execution(n: int, *, finding_id: str, control_id: str, status: str) -> ExecutionModel:
    started = datetime(2024, 5, 1, tzinfo=UTC) + timedelta(minutes=n)
    return ExecutionModel(
        f"{started.isoformat()}#{n:04d}",
        finding_id=finding_id,
        control_id=control_id,
        account_id="111111111111",
        reactor_id="aws-s3-2-remove-public-read",
        reactor_version="1.0.0",
        trigger="event" if n % 2 else "manual",
        actor=None if n % 2 else "alice",
        status=status,
        started_at=started.isoformat(),
        finished_at=(started + timedelta(seconds=3)).isoformat(),
        changes=[{"action": "s3:PutPublicAccessBlock", "bucket": "demo"}],
    )


@pytest.fixture(scope="module")
def executions(ddb_module_stage: SharedStage) -> list[ExecutionModel]:
    items = [
        execution(
            n,
            finding_id=S32 if n % 3 else EC22,
            control_id="S3.2" if n % 3 else "EC2.2",
            status=STATUSES[n % 3],
        )
        for n in range(30)
    ]
    with ddb_module_stage.active():
        with ExecutionModel.batch_write() as batch:
            for item in items:
                batch.save(item)
        # A marker that carries a finding id (and sorts first): in finding-index and kind-index,
        # it must still never be listed or read as an execution.
        client("dynamodb").put_item(
            TableName=WorkflowItemModel.Meta.table_name,
            Item={
                "execution_id": {"S": f"IDEMPOTENCY#{S32}#2021-07-22T15:22:40.888Z"},
                "kind": {"S": "IDEMPOTENCY"},
                "finding_id": {"S": S32},
                "started_at": {"S": "2099-01-01T00:00:00+00:00"},
            },
        )
    return items


@pytest.fixture
def written(ddb_module_tables: str, executions: list[ExecutionModel]) -> list[ExecutionModel]:
    return executions


def newest_first(items: list[ExecutionModel]) -> list[str]:
    return [e.execution_id for e in sorted(items, key=lambda e: e.started_at or "", reverse=True)]


def pages(filters: ExecutionFilters, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = execution_list(filters=filters, cursor=cursor, limit=limit)
        seen += [e.execution_id for e in page.items]
        cursor = page.next_cursor
        if not cursor:
            return seen


@pytest.mark.parametrize(
    ("filters", "index", "keep"),
    [
        (ExecutionFilters(), "kind-index", lambda e: True),
        (ExecutionFilters(finding_id=S32), "finding-index", lambda e: e.finding_id == S32),
        (ExecutionFilters(control_id="EC2.2"), "control-index", lambda e: e.control_id == "EC2.2"),
        (ExecutionFilters(status="failed"), "status-index", lambda e: e.status == "failed"),
        (
            ExecutionFilters(finding_id=S32, status="skipped"),
            "finding-index",
            lambda e: e.finding_id == S32 and e.status == "skipped",
        ),
    ],
)
def test_executions_list_uses_the_filter_index_and_pages_newest_first(
    written: list[ExecutionModel], filters: ExecutionFilters, index: str, keep: object
) -> None:
    first = execution_list(filters=filters, limit=4)

    assert first.index == index
    assert pages(filters, 4) == newest_first([e for e in written if keep(e)])  # type: ignore[operator]


def test_execution_get_shows_an_execution_but_not_an_idempotency_marker(
    written: list[ExecutionModel],
) -> None:
    got = execution_get(execution_id=written[4].execution_id)

    assert got.changes == [{"action": "s3:PutPublicAccessBlock", "bucket": "demo"}]
    assert got.actor == "alice"
    with pytest.raises(NotFoundError):
        execution_get(execution_id=f"IDEMPOTENCY#{S32}#2021-07-22T15:22:40.888Z")
    with pytest.raises(NotFoundError):
        execution_get(execution_id="2030-01-01#nope")


def test_bad_status_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="Status"):
        execution_list(filters=ExecutionFilters(status="exploded"))
