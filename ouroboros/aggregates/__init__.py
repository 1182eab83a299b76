"""Counters kept up to date on write (dashboard numbers) and the collectors' sync state.

Writers call `aggregate_add` with the deltas of what they wrote (or `aggregate_add_many` for the
deltas of several aggregates at once: one ``ADD`` per bucket, in TransactWriteItems calls); readers
call `aggregate_read`, one Query per aggregate, never a count over items.

Aggregates and their buckets (the contract between writers and the dashboard):

- ``controls``: ``total``.
- ``findings#state``: ``ACTIVE``, ``ARCHIVED``.
- ``findings#severity``, ``findings#compliance``, ``findings#workflow``, ``findings#account``,
  ``findings#control``: ``<record state>#<value>`` (e.g. ``ACTIVE#CRITICAL``).
- ``executions#day``: ``<YYYY-MM-DD>#<outcome>`` and ``executions#ttr``: ``<YYYY-MM-DD>#b<index>``
  (outcomes and the time-to-remediate histogram: `ouroboros.aggregates.remediation`).
- ``findings#control_failed``: ``<record state>#<control id>``, findings whose compliance status
  is FAILED (the dashboard's top failing controls; it falls back to ``findings#control``).
- ``findings#title``: ``<record state>#<title key>`` (`ouroboros.models.findings.title_key`), the
  findings WITHOUT a control per distinct title: the title search matches words against these
  (findings with a control are found through their control's title).
- ``executions#mttr``: ``<YYYY-MM-DD>#seconds`` and ``<YYYY-MM-DD>#count`` (mean time to
  remediate; contract and writer in `ouroboros.aggregates.remediation`).

Sync state lives beside them (``sync#<name>``, bucket ``state``): watermarks and checkpoints
(`sync_state_set`), and leases (`sync_lease_acquire`) that keep two collector invocations from
working on one sync at once.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ouroboros.aws import client as aws_client
from ouroboros.errors import ThrottledError
from ouroboros.models import AggregateModel

#: TransactWriteItems takes at most 100 actions.
TRANSACT_MAX_ACTIONS = 100
TRANSACT_ATTEMPTS = 8


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
    now: datetime | None = None,
    also: Sequence[dict[str, Any]] = (),
) -> int:
    """Add ``deltas`` ((aggregate id, bucket) -> change): one ADD per non-zero bucket.

    The ADDs (and the ``also`` actions: TransactWriteItems ``Update`` actions on other tables, e.g.
    a control's ``failed_count``) go in TransactWriteItems calls of up to 100 actions: each call
    applies whole or not at all, and carries an idempotency token, so botocore's retry of a call
    that timed out after it was applied does not count twice. One call costs DynamoDB far less
    than the same number of UpdateItem calls. A call cancelled by a conflicting write is retried
    with backoff (`TRANSACT_ATTEMPTS`), then `ThrottledError`. Returns the number of actions.
    """
    ddb = client or aws_client("dynamodb")
    table = AggregateModel.Meta.table_name
    stamp = AggregateModel.updated_at.serialize(now or datetime.now(UTC))
    actions = [
        {
            "Update": {
                "TableName": table,
                "Key": {"aggregate_id": {"S": aggregate_id}, "bucket": {"S": bucket}},
                "UpdateExpression": "ADD #t :d SET #u = :u",
                "ExpressionAttributeNames": {"#t": "total", "#u": "updated_at"},
                "ExpressionAttributeValues": {":d": {"N": str(delta)}, ":u": {"S": stamp}},
            }
        }
        for (aggregate_id, bucket), delta in sorted(deltas.items())
        if delta
    ]
    actions += list(also)
    for start in range(0, len(actions), TRANSACT_MAX_ACTIONS):
        _transact(ddb, actions[start : start + TRANSACT_MAX_ACTIONS])
    return len(actions)


def _transact(ddb: Any, actions: list[dict[str, Any]]) -> None:
    for attempt in range(1, TRANSACT_ATTEMPTS + 1):
        try:
            ddb.transact_write_items(TransactItems=actions, ClientRequestToken=uuid.uuid4().hex)
            return
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code not in ("TransactionCanceledException", "TransactionConflictException"):
                raise
            if attempt == TRANSACT_ATTEMPTS:
                raise ThrottledError(
                    f"aggregates: {len(actions)} updates kept conflicting ({code})"
                ) from exc
            # Cancelled means nothing was applied: a new token, after a jittered wait.
            time.sleep(random.uniform(0, min(2.0, 0.05 * 2**attempt)))  # noqa: S311


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


def sync_state_read(name: str) -> str | None:
    """`sync_state_get` by Query, for pages that read aggregates by Query only (the dashboard)."""
    for item in AggregateModel.query(f"sync#{name}", AggregateModel.bucket == "state"):
        return item.value
    return None


def sync_state_set(name: str, value: str) -> None:
    """Store a piece of sync state."""
    AggregateModel(f"sync#{name}", "state", value=value, updated_at=datetime.now(UTC)).save()


def sync_lease_acquire(name: str, *, holder: str, now: datetime, seconds: float) -> str | None:
    """Take the lease ``sync#<name>_lease`` for ``seconds`` from ``now`` unless another holder's
    lease is still running; None when taken, else when the running lease ends (ISO 8601).

    One conditional PutItem: the item is absent or its expiry (``total``, epoch seconds) has
    passed, so two invocations racing for it cannot both win; a holder that dies without
    releasing only blocks the others until its lease ends.
    """
    from pynamodb.exceptions import PutError

    key = f"sync#{name}_lease"
    until = int(now.timestamp() + seconds)
    lease = AggregateModel(key, "state", total=until, value=holder, updated_at=now)
    try:
        lease.save(
            condition=AggregateModel.aggregate_id.does_not_exist()
            | (AggregateModel.total < int(now.timestamp()))
        )
        return None
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    try:
        running = int(AggregateModel.get(key, "state").total or 0)
    except AggregateModel.DoesNotExist:  # released in between: the next run takes it
        running = int(now.timestamp())
    return datetime.fromtimestamp(running, UTC).isoformat()


def sync_lease_renew(name: str, *, holder: str, now: datetime, seconds: float) -> bool:
    """Extend ``holder``'s lease to ``seconds`` from ``now``; False when it is no longer
    ``holder``'s (it ran out and another run took it)."""
    from pynamodb.exceptions import UpdateError

    try:
        AggregateModel(f"sync#{name}_lease", "state").update(
            actions=[AggregateModel.total.set(int(now.timestamp() + seconds))],
            condition=AggregateModel.value == holder,
        )
        return True
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False


def sync_lease_release(name: str, *, holder: str) -> None:
    """Give up the lease ``holder`` took (a lease another holder took since is kept)."""
    from pynamodb.exceptions import DeleteError

    try:
        AggregateModel(f"sync#{name}_lease", "state").delete(
            condition=AggregateModel.value == holder
        )
    except DeleteError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def summary_counts() -> dict[str, int]:
    """The headline numbers of the home page: controls, active and archived findings."""
    states = aggregate_read("findings#state")
    return {
        "controls": aggregate_read("controls").get("total", 0),
        "findings_active": states.get("ACTIVE", 0),
        "findings_archived": states.get("ARCHIVED", 0),
    }
