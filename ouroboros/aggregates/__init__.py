"""Counters kept up to date on write (dashboard numbers) and the collectors' sync state.

Writers call `aggregate_add` with the deltas of what they wrote (or `aggregate_add_many` for the
deltas of several aggregates at once, one ``UpdateItem ADD`` per bucket, in parallel); readers call
`aggregate_read`, one Query per aggregate, never a count over items.

Aggregates and their buckets (the contract between writers and the dashboard):

- ``controls``: ``total``.
- ``findings#state``: ``ACTIVE``, ``ARCHIVED``.
- ``findings#severity``, ``findings#compliance``, ``findings#workflow``, ``findings#account``,
  ``findings#control``: ``<record state>#<value>`` (e.g. ``ACTIVE#CRITICAL``).
- ``executions#day``: ``<YYYY-MM-DD>#<status>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor
from datetime import UTC, datetime
from typing import Any

from ouroboros.aws import client as aws_client
from ouroboros.models import AggregateModel


def aggregate_add(aggregate_id: str, deltas: Mapping[str, int]) -> None:
    """Add ``deltas`` (bucket -> change) to the counters of ``aggregate_id``; zeros are skipped."""
    now = datetime.now(UTC)
    for bucket, delta in deltas.items():
        if not delta:
            continue
        AggregateModel(aggregate_id, bucket).update(
            actions=[AggregateModel.total.add(delta), AggregateModel.updated_at.set(now)]
        )


def aggregate_add_many(
    deltas: Mapping[tuple[str, str], int],
    *,
    client: Any = None,
    executor: Executor | None = None,
    now: datetime | None = None,
) -> int:
    """Add ``deltas`` ((aggregate id, bucket) -> change); one ADD per non-zero bucket.

    Returns the number of UpdateItem calls made. With ``executor`` the updates run in parallel
    (each ADD is atomic on its own, so their order does not matter).
    """
    ddb = client or aws_client("dynamodb")
    table = AggregateModel.Meta.table_name
    stamp = AggregateModel.updated_at.serialize(now or datetime.now(UTC))

    def add(key: tuple[str, str], delta: int) -> None:
        ddb.update_item(
            TableName=table,
            Key={"aggregate_id": {"S": key[0]}, "bucket": {"S": key[1]}},
            UpdateExpression="ADD #t :d SET #u = :u",
            ExpressionAttributeNames={"#t": "total", "#u": "updated_at"},
            ExpressionAttributeValues={":d": {"N": str(delta)}, ":u": {"S": stamp}},
        )

    work = [(key, delta) for key, delta in deltas.items() if delta]
    if executor is None or len(work) < 2:
        for key, delta in work:
            add(key, delta)
    else:
        for future in [executor.submit(add, key, delta) for key, delta in work]:
            future.result()
    return len(work)


def aggregate_read(aggregate_id: str) -> dict[str, int]:
    """Every bucket of ``aggregate_id`` with its count (one Query)."""
    return {
        item.bucket: int(item.total or 0)
        for item in AggregateModel.query(aggregate_id)
        if item.value is None
    }


def sync_state_get(name: str) -> str | None:
    """A stored piece of sync state (e.g. a collector's watermark), or None."""
    try:
        return AggregateModel.get(f"sync#{name}", "state").value
    except AggregateModel.DoesNotExist:
        return None


def sync_state_set(name: str, value: str) -> None:
    """Store a piece of sync state."""
    AggregateModel(f"sync#{name}", "state", value=value, updated_at=datetime.now(UTC)).save()


def summary_counts() -> dict[str, int]:
    """The headline numbers of the home page: controls, active and archived findings."""
    states = aggregate_read("findings#state")
    return {
        "controls": aggregate_read("controls").get("total", 0),
        "findings_active": states.get("ACTIVE", 0),
        "findings_archived": states.get("ARCHIVED", 0),
    }
