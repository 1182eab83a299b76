"""Batch reads and writes re-send what DynamoDB leaves unprocessed, and say what landed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ouroboros.aws.dynamodb_batch import (
    BatchStats,
    BatchWriteError,
    RetryPolicy,
    batch_get,
    batch_write,
)
from ouroboros.errors import ThrottledError

TABLE = "t"


def _item(n: int) -> dict[str, Any]:
    return {"finding_id": {"S": f"f{n}"}}


def _put(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {TABLE: [{"PutRequest": {"Item": item}} for item in items]}


@pytest.fixture
def ddb() -> Any:
    return boto3.client("dynamodb", region_name="us-east-1")


def test_unprocessed_items_are_resent_with_backoff(ddb: Any) -> None:
    waits: list[float] = []
    items = [_item(n) for n in range(30)]
    with Stubber(ddb) as stubber:
        stubber.add_response(
            "batch_write_item",
            {"UnprocessedItems": _put(items[20:25])},
            {"RequestItems": _put(items[:25])},
        )
        stubber.add_response(
            "batch_write_item",
            {"UnprocessedItems": _put(items[24:25])},
            {"RequestItems": _put(items[20:25])},
        )
        stubber.add_response(
            "batch_write_item", {"UnprocessedItems": {}}, {"RequestItems": _put(items[24:25])}
        )
        stubber.add_response("batch_write_item", {}, {"RequestItems": _put(items[25:])})
        stats = BatchStats()
        batch_write(ddb, TABLE, items, stats=stats, retry=RetryPolicy(sleep=waits.append))
        stubber.assert_no_pending_responses()
    assert (stats.calls, stats.resends, stats.items) == (4, 2, 30)
    assert len(waits) == 2 and all(0 <= w <= 0.05 * 2**2 for w in waits)


def test_left_overs_that_never_clear_raise_and_report_what_landed(ddb: Any) -> None:
    items = [_item(n) for n in range(30)]
    with Stubber(ddb) as stubber:
        stubber.add_response("batch_write_item", {}, {"RequestItems": _put(items[:25])})
        for _ in range(3):
            stubber.add_response("batch_write_item", {"UnprocessedItems": _put(items[25:])}, None)
        with pytest.raises(BatchWriteError) as info:
            batch_write(ddb, TABLE, items, retry=RetryPolicy(max_attempts=2, sleep=lambda _: None))
    assert info.value.written == items[:25]
    assert isinstance(info.value.cause, ThrottledError)


def test_parallel_chunks_report_what_landed(ddb: Any) -> None:
    items = [_item(n) for n in range(50)]
    with Stubber(ddb) as stubber:
        stubber.add_response("batch_write_item", {}, None)
        stubber.add_client_error("batch_write_item", "ValidationException", "bad item")
        with ThreadPoolExecutor(1) as pool, pytest.raises(BatchWriteError) as info:
            batch_write(ddb, TABLE, items, executor=pool)
    assert len(info.value.written) == 25


def test_throttling_errors_past_botocore_retries_become_throttled_error(ddb: Any) -> None:
    with Stubber(ddb) as stubber:
        stubber.add_client_error("batch_write_item", "ProvisionedThroughputExceededException")
        with pytest.raises(BatchWriteError) as info:
            batch_write(ddb, TABLE, [_item(1)])
    assert isinstance(info.value.cause, ThrottledError)
    assert info.value.written == []


def test_unprocessed_keys_are_resent_and_reads_are_consistent(ddb: Any) -> None:
    keys = [_item(n) for n in range(3)]
    request = {"Keys": keys, "ConsistentRead": True}
    with Stubber(ddb) as stubber:
        stubber.add_response(
            "batch_get_item",
            {
                "Responses": {TABLE: [keys[0]]},
                "UnprocessedKeys": {TABLE: {"Keys": keys[1:], "ConsistentRead": True}},
            },
            {"RequestItems": {TABLE: request}},
        )
        stubber.add_response(
            "batch_get_item",
            {"Responses": {TABLE: keys[1:]}},
            {"RequestItems": {TABLE: {"Keys": keys[1:], "ConsistentRead": True}}},
        )
        found = batch_get(ddb, TABLE, keys, retry=RetryPolicy(sleep=lambda _: None))
    assert found == keys


def test_get_projection_names_every_attribute(ddb: Any) -> None:
    with Stubber(ddb) as stubber:
        stubber.add_response(
            "batch_get_item",
            {"Responses": {TABLE: []}},
            {
                "RequestItems": {
                    TABLE: {
                        "Keys": [_item(1)],
                        "ConsistentRead": True,
                        "ProjectionExpression": "#a0, #a1",
                        "ExpressionAttributeNames": {"#a0": "finding_id", "#a1": "status"},
                    }
                }
            },
        )
        assert batch_get(ddb, TABLE, [_item(1)], attributes=["finding_id", "status"]) == []
