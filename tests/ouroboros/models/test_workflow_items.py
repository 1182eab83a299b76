"""``sfn_statemachines`` holds three kinds, each a model class (``kind`` is a PynamoDB
DiscriminatorAttribute): executions, idempotency markers, rate-limit buckets.

Against DynamoDB Local, because it (like AWS, unlike moto) refuses a filter on the key of the
queried index, which is what PynamoDB's own Query of ``kind-index`` would send.
"""

from __future__ import annotations

from typing import Any

import pytest
from pynamodb.exceptions import QueryError

from ouroboros.aws import client
from ouroboros.errors import NotFoundError
from ouroboros.executions.selectors import execution_get, executions_of_finding
from ouroboros.executions.services import execution_record, idempotency_claim
from ouroboros.models import (
    CONSUMER_MODELS,
    ExecutionModel,
    IdempotencyMarkerModel,
    RateLimitBucketModel,
    WorkflowItemModel,
)
from ouroboros.models.executions import ExecutionFields
from ouroboros.workflow.ratelimit import rate_token_take

pytestmark = pytest.mark.integration

FINDING = "arn:aws:securityhub:us-east-1:111111111111:finding/f-1"
MARKER = f"IDEMPOTENCY#{FINDING}#2024-05-01T00:00:00.000Z"
BUCKET = "RATE#111111111111#us-east-1"
EXECUTION = "2024-05-01T00:00:01.000Z#0001"

#: Items as the single untyped model (and the raw rate limiter) stored them before the split.
OLD_ITEMS: list[dict[str, Any]] = [
    {
        "execution_id": {"S": EXECUTION},
        "kind": {"S": "EXECUTION"},
        "finding_id": {"S": FINDING},
        "control_id": {"S": "S3.2"},
        "status": {"S": "succeeded"},
        "trigger": {"S": "event"},
        "actor": {"S": "eventbridge"},
        "dry_run": {"BOOL": False},
        "started_at": {"S": "2024-05-01T00:00:01.000Z"},
        "changes": {"L": [{"M": {"action": {"S": "s3:PutPublicAccessBlock"}}}]},
        "rollback": {"M": {"policy": {"S": "{}"}}},
        "duration_ms": {"N": "1200"},
    },
    {
        "execution_id": {"S": MARKER},
        "kind": {"S": "IDEMPOTENCY"},
        "skip_reason": {"S": f"claimed by execution {EXECUTION}"},
        "started_at": {"S": "2024-05-01T00:00:00.500Z"},
        "dry_run": {"BOOL": False},
    },
    {
        "execution_id": {"S": BUCKET},
        "kind": {"S": "RATELIMIT"},
        "tokens": {"N": "4.5"},
        "refilled_at": {"N": "1700000000.25"},
    },
]


def old_items_put() -> None:
    ddb = client("dynamodb")
    for item in OLD_ITEMS:
        ddb.put_item(TableName=WorkflowItemModel.Meta.table_name, Item=item)


def test_the_table_is_defined_as_before() -> None:
    assert WorkflowItemModel in CONSUMER_MODELS
    assert ExecutionModel not in CONSUMER_MODELS  # one model per table: the table's own
    schema = WorkflowItemModel._get_schema()
    assert schema["key_schema"] == [{"KeyType": "HASH", "AttributeName": "execution_id"}]
    assert schema["attribute_definitions"] == [
        {"AttributeName": name, "AttributeType": "S"}
        for name in ("execution_id", "control_id", "started_at", "finding_id", "kind", "status")
    ]
    indexes = {
        index["index_name"]: (
            {key["AttributeName"]: key["KeyType"] for key in index["key_schema"]},
            index["projection"],
        )
        for index in schema["global_secondary_indexes"]
    }
    assert indexes == {
        name: ({hash_key: "HASH", "started_at": "RANGE"}, {"ProjectionType": "ALL"})
        for name, hash_key in (
            ("control-index", "control_id"),
            ("finding-index", "finding_id"),
            ("kind-index", "kind"),
            ("status-index", "status"),
        )
    }
    for kind in (ExecutionModel, IdempotencyMarkerModel, RateLimitBucketModel):
        assert kind._get_schema() == schema
        assert kind.Meta is WorkflowItemModel.Meta  # one binding, one table


def test_execution_fields_are_the_attributes_a_writer_sets() -> None:
    attributes = set(ExecutionModel.get_attributes())
    assert set(ExecutionFields.__annotations__) == attributes - {
        "execution_id",
        "kind",
        "rolled_back_by",
        "mttr_day",
        "mttr_seconds",
        # set only by the ticket's conditional updates (`ouroboros.tickets.services`)
        "ticket_channel",
        "ticket_id",
        "ticket_url",
        "ticket_reason",
    }


def test_items_stored_by_the_old_model_read_back_as_their_kinds(ddb_tables: str) -> None:
    old_items_put()

    execution, marker, bucket = (WorkflowItemModel.get(i["execution_id"]["S"]) for i in OLD_ITEMS)

    assert type(execution) is ExecutionModel
    assert (execution.status, execution.finding_id, execution.dry_run) == (
        "succeeded",
        FINDING,
        False,
    )
    assert execution.changes == [{"action": "s3:PutPublicAccessBlock"}]
    assert execution.rollback.as_dict() == {"policy": "{}"}
    assert type(marker) is IdempotencyMarkerModel
    assert marker.claim == f"claimed by execution {EXECUTION}"
    assert type(bucket) is RateLimitBucketModel
    assert (bucket.tokens, bucket.refilled_at) == (4.5, 1700000000.25)
    assert execution_get(execution_id=EXECUTION).execution_id == EXECUTION
    assert IdempotencyMarkerModel.get(MARKER).started_at == "2024-05-01T00:00:00.500Z"
    # An old marker still blocks a replay; an old bucket is taken from, not reset.
    assert not idempotency_claim(
        finding_id=FINDING, key="2024-05-01T00:00:00.000Z", execution_id="x"
    )
    rate_token_take(account_id="111111111111", region="us-east-1")
    taken = RateLimitBucketModel.get(BUCKET, consistent_read=True)
    assert taken.refilled_at > 1700000000.25


def test_a_marker_or_a_bucket_is_never_an_execution(ddb_tables: str) -> None:
    assert idempotency_claim(finding_id=FINDING, key="k1", execution_id=EXECUTION)
    rate_token_take(account_id="111111111111", region="us-east-1")
    marker_id = IdempotencyMarkerModel.marker_id(finding_id=FINDING, key="k1")
    bucket_id = RateLimitBucketModel.bucket_id(account_id="111111111111", region="us-east-1")

    marker = IdempotencyMarkerModel.get(marker_id)
    assert type(marker) is IdempotencyMarkerModel
    assert marker.claim == f"claimed by execution {EXECUTION}"
    assert type(RateLimitBucketModel.get(bucket_id)) is RateLimitBucketModel
    for other in (marker_id, bucket_id):
        with pytest.raises(NotFoundError):
            execution_get(execution_id=other)
        with pytest.raises(ValueError, match="Cannot instantiate a ExecutionModel"):
            ExecutionModel.get(other)
    # Stored as the old model stored them: the same attribute names and kind values.
    raw = client("dynamodb").get_item(
        TableName=WorkflowItemModel.Meta.table_name, Key={"execution_id": {"S": marker_id}}
    )["Item"]
    assert raw["kind"] == {"S": "IDEMPOTENCY"}
    assert raw["skip_reason"] == {"S": f"claimed by execution {EXECUTION}"}
    assert set(raw) == {"execution_id", "kind", "skip_reason", "started_at"}
    assert ExecutionModel.kind.attr_name == "kind"


def test_kind_index_and_the_other_indexes_return_only_their_kind(ddb_tables: str) -> None:
    old_items_put()
    # A marker that carries a finding id and a status (no writer does): still not an execution.
    client("dynamodb").put_item(
        TableName=WorkflowItemModel.Meta.table_name,
        Item={
            "execution_id": {"S": f"IDEMPOTENCY#{FINDING}#k2"},
            "kind": {"S": "IDEMPOTENCY"},
            "finding_id": {"S": FINDING},
            "status": {"S": "succeeded"},
            "started_at": {"S": "2099-01-01T00:00:00.000Z"},
        },
    )
    fields: ExecutionFields = {"status": "failed", "finding_id": FINDING, "control_id": "S3.2"}
    newer = execution_record(finding=None, **fields)

    executions = [e.execution_id for e in ExecutionModel.kind_index.query("EXECUTION")]
    assert executions == [EXECUTION, newer.execution_id]
    assert ExecutionModel.kind_index.count("EXECUTION") == 2
    markers = list(IdempotencyMarkerModel.kind_index.query("IDEMPOTENCY"))
    assert {type(m) for m in markers} == {IdempotencyMarkerModel} and len(markers) == 2
    every = WorkflowItemModel.kind_index.query("IDEMPOTENCY", scan_index_forward=False, limit=1)
    assert [m.execution_id for m in every] == [f"IDEMPOTENCY#{FINDING}#k2"]
    with pytest.raises(ValueError, match="no items of kind 'IDEMPOTENCY'"):
        ExecutionModel.kind_index.query("IDEMPOTENCY")
    # Why KindIndex runs its own Query: PynamoDB's adds ``kind IN (...)``, refused on kind-index.
    with pytest.raises(QueryError, match="non-primary key attributes"):
        list(ExecutionModel.query("EXECUTION", index_name="kind-index"))

    history = [e.execution_id for e in executions_of_finding(finding_id=FINDING)]
    assert history == [newer.execution_id, EXECUTION]
    by_status = list(ExecutionModel.status_index.query("succeeded"))
    assert [e.execution_id for e in by_status] == [EXECUTION]
    assert {type(e) for e in ExecutionModel.scan()} == {ExecutionModel}
    assert len(list(ExecutionModel.scan())) == 2
    assert {type(i).__name__ for i in WorkflowItemModel.scan()} == {
        "ExecutionModel",
        "IdempotencyMarkerModel",
        "RateLimitBucketModel",
    }
