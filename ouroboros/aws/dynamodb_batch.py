"""DynamoDB BatchGetItem / BatchWriteItem with the retries PynamoDB's batch hides.

BatchWriteItem takes 25 items a call and BatchGetItem 100 keys; either may answer with part of
the request left over (``UnprocessedItems`` / ``UnprocessedKeys``) when a partition throttles.
botocore retries throttling *errors* (adaptive mode, see `ouroboros.aws.session`) but not these
left-overs, so they are re-sent here with exponential backoff and full jitter until done or
``max_attempts`` re-sends, after which `ThrottledError` says how many items are left.

Chunks run on an optional thread pool (boto3 clients are thread-safe). A failed chunk never hides
the others: `batch_write` reports which items were written before it raises, so a caller can
account for exactly what landed.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ouroboros.errors import OuroborosError, ThrottledError

MAX_WRITE_ITEMS = 25
MAX_GET_KEYS = 100
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
    }
)

Item = dict[str, Any]


@dataclass
class BatchStats:
    """Counts of calls, re-sent left-overs and items, safe to update from several threads."""

    calls: int = 0
    resends: int = 0
    items: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, *, calls: int = 0, resends: int = 0, items: int = 0) -> None:
        with self._lock:
            self.calls += calls
            self.resends += resends
            self.items += items


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for left-over items: full jitter over ``base * 2**attempt`` capped at ``cap``."""

    max_attempts: int = 10
    base: float = 0.05
    cap: float = 5.0
    sleep: Callable[[float], None] = time.sleep

    def wait(self, attempt: int) -> None:
        self.sleep(random.uniform(0, min(self.cap, self.base * 2**attempt)))  # noqa: S311


DEFAULT_RETRY = RetryPolicy()


class BatchWriteError(OuroborosError):
    """Some chunks of a batch write failed; ``written`` holds the items that did land."""

    status_code = 503

    def __init__(self, message: str, written: list[Item], cause: BaseException) -> None:
        super().__init__(message)
        self.written = written
        self.cause = cause


def chunked(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of ``items`` of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _throttled(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in THROTTLING_CODES


def _write_chunk(
    client: Any, table: str, chunk: Sequence[Item], stats: BatchStats, retry: RetryPolicy
) -> None:
    pending: Mapping[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in chunk]}
    attempt = 0
    while pending:
        try:
            response = client.batch_write_item(RequestItems=pending)
        except ClientError as exc:
            if _throttled(exc):
                raise ThrottledError(f"BatchWriteItem on {table} kept throttling") from exc
            raise
        stats.add(calls=1)
        pending = response.get("UnprocessedItems") or {}
        if not pending:
            break
        attempt += 1
        left = sum(len(requests) for requests in pending.values())
        if attempt > retry.max_attempts:
            raise ThrottledError(
                f"BatchWriteItem on {table}: {left} items still unprocessed after "
                f"{retry.max_attempts} re-sends"
            )
        stats.add(resends=1)
        retry.wait(attempt)
    stats.add(items=len(chunk))


def batch_write(
    client: Any,
    table: str,
    items: Sequence[Item],
    *,
    stats: BatchStats | None = None,
    executor: Executor | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> None:
    """Put ``items`` (DynamoDB JSON) into ``table`` in chunks of 25, re-sending left-overs.

    Raises `BatchWriteError` (with the items that were written) if any chunk fails.
    """
    stats = stats or BatchStats()
    chunks = list(chunked(items, MAX_WRITE_ITEMS))
    if executor is None or len(chunks) < 2:
        done: list[Item] = []
        for chunk in chunks:
            try:
                _write_chunk(client, table, chunk, stats, retry)
            except Exception as exc:
                raise BatchWriteError(str(exc), done, exc) from exc
            done.extend(chunk)
        return
    futures: list[tuple[Sequence[Item], Future[None]]] = [
        (chunk, executor.submit(_write_chunk, client, table, chunk, stats, retry))
        for chunk in chunks
    ]
    written: list[Item] = []
    first_error: BaseException | None = None
    for chunk, future in futures:
        error = future.exception()
        if error is None:
            written.extend(chunk)
        elif first_error is None:
            first_error = error
    if first_error is not None:
        raise BatchWriteError(str(first_error), written, first_error) from first_error


def _get_chunk(
    client: Any,
    table: str,
    keys: Sequence[Item],
    projection: Mapping[str, Any],
    stats: BatchStats,
    retry: RetryPolicy,
) -> list[Item]:
    pending: Mapping[str, Any] = {table: {"Keys": list(keys), **projection}}
    found: list[Item] = []
    attempt = 0
    while pending:
        try:
            response = client.batch_get_item(RequestItems=pending)
        except ClientError as exc:
            if _throttled(exc):
                raise ThrottledError(f"BatchGetItem on {table} kept throttling") from exc
            raise
        stats.add(calls=1)
        found.extend(response.get("Responses", {}).get(table, []))
        pending = response.get("UnprocessedKeys") or {}
        if not pending:
            break
        attempt += 1
        if attempt > retry.max_attempts:
            left = sum(len(request.get("Keys", [])) for request in pending.values())
            raise ThrottledError(
                f"BatchGetItem on {table}: {left} keys still unprocessed after "
                f"{retry.max_attempts} re-sends"
            )
        stats.add(resends=1)
        retry.wait(attempt)
    stats.add(items=len(found))
    return found


def batch_get(
    client: Any,
    table: str,
    keys: Sequence[Item],
    *,
    attributes: Sequence[str] = (),
    consistent: bool = True,
    stats: BatchStats | None = None,
    executor: Executor | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> list[Item]:
    """The items of ``keys`` that exist (only ``attributes`` when given), 100 keys a call.

    Reads are strongly consistent by default: a caller that reads before it writes must see the
    latest write (and DynamoDB Local answers them at a fraction of the cost of eventual reads).
    """
    stats = stats or BatchStats()
    projection: dict[str, Any] = {"ConsistentRead": consistent}
    if attributes:
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        projection["ProjectionExpression"] = ", ".join(names)
        projection["ExpressionAttributeNames"] = names
    chunks = list(chunked(keys, MAX_GET_KEYS))
    if executor is None or len(chunks) < 2:
        return [
            item
            for chunk in chunks
            for item in _get_chunk(client, table, chunk, projection, stats, retry)
        ]
    futures = [
        executor.submit(_get_chunk, client, table, chunk, projection, stats, retry)
        for chunk in chunks
    ]
    return [item for future in futures for item in future.result()]
