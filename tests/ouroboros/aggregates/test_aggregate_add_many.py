"""Aggregate deltas go in TransactWriteItems of at most 100 actions; conflicts are retried."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from ouroboros import aggregates
from ouroboros.aggregates import aggregate_add_many
from ouroboros.errors import ThrottledError


@pytest.fixture
def ddb() -> Any:
    return boto3.client("dynamodb", region_name="us-east-1")


def test_one_add_per_bucket_in_calls_of_100(ddb: Any) -> None:
    deltas = {("findings#account", f"ACTIVE#{n:012d}"): 1 for n in range(150)}
    deltas[("findings#state", "ACTIVE")] = 150
    deltas[("findings#state", "ARCHIVED")] = 0  # no change: no action
    sizes: list[int] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sizes.append(len(params["TransactItems"]))

    ddb.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", record)
    with Stubber(ddb) as stubber:
        stubber.add_response(
            "transact_write_items", {}, {"TransactItems": ANY, "ClientRequestToken": ANY}
        )
        stubber.add_response(
            "transact_write_items", {}, {"TransactItems": ANY, "ClientRequestToken": ANY}
        )
        assert aggregate_add_many(deltas, client=ddb) == 151
    assert sizes == [100, 51]


def test_nothing_to_add_makes_no_call(ddb: Any) -> None:
    with Stubber(ddb):
        assert aggregate_add_many({("findings#state", "ACTIVE"): 0}, client=ddb) == 0


def test_conflicts_are_retried_then_reported(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aggregates.time, "sleep", lambda _: None)
    with Stubber(ddb) as stubber:
        stubber.add_client_error("transact_write_items", "TransactionCanceledException")
        stubber.add_response("transact_write_items", {})
        assert aggregate_add_many({("findings#state", "ACTIVE"): 1}, client=ddb) == 1
        stubber.assert_no_pending_responses()
    monkeypatch.setattr(aggregates, "TRANSACT_ATTEMPTS", 2)
    with Stubber(ddb) as stubber:
        stubber.add_client_error("transact_write_items", "TransactionCanceledException")
        stubber.add_client_error("transact_write_items", "TransactionCanceledException")
        with pytest.raises(ThrottledError):
            aggregate_add_many({("findings#state", "ACTIVE"): 1}, client=ddb)
