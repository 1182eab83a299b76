"""Writes to findings: `finding_upsert_batch`, the one path every finding takes into DynamoDB.

The collectors (full and incremental sync, ASFF and Security Hub V2's OCSF) and the "Findings -
Imported" (V1 and V2) event paths all call it, with normalized findings of either format
(`ouroboros.securityhub.ocsf.finding_parse`; the finding says its format). For a batch it:

1. keeps one finding per id and format (the latest update time; BatchWriteItem refuses
   duplicate keys, so the second format of an id in the same batch is written in a second round);
2. reads what is stored for them with BatchGetItem (100 keys a call, only the compared fields,
   strongly consistent: the deltas of step 5 must start from the latest write);
3. skips what is unchanged (same content hash as the stored document of its format: zero writes)
   and what is older than the stored document of its format (a late event must not undo a newer
   collection); a finding whose item holds the other format is joined to it
   (`ouroboros.findings.items.finding_item_merge`, after reading those whole items);
4. writes the rest with BatchWriteItem in 25s, re-sending ``UnprocessedItems`` with backoff and
   jitter (`ouroboros.aws.dynamodb_batch`). A rewrite keeps ``last_remediation``, which the
   workflow, not the collector, owns. Steps 2-4 run per slice of 100 findings, slices in
   parallel, so one slice's reads overlap another's writes;
5. moves the aggregates (`ouroboros.aggregates`) by the difference between each written finding's
   stored state and its new one: one ``ADD`` per bucket for the whole batch, plus the control
   item's ``failed_count`` (active FAILED findings of the control), in TransactWriteItems calls
   of up to 100 actions (`aggregate_add_many`). A caller writing many batches (the collector)
   passes a `FindingDeltas` instead: the deltas of its batches add up there and move the
   aggregates once per `FindingDeltas.flush` (every few thousand findings and at the end), so
   a bucket touched by every batch costs one ADD per flush instead of one per batch.

Archived findings (RecordState ARCHIVED) stay stored; their index keys carry ``ARCHIVED#``, so they
leave every active view, and the aggregates move them from ``ACTIVE#...`` to ``ARCHIVED#...``.

If a write fails half way, the aggregates still move for exactly the findings that landed (or
their deltas go into the caller's `FindingDeltas`, which it flushes before it raises), then the
error is raised: a retry skips those (unchanged) and counts nothing twice. What is not covered: a
crash between step 4 and step 5 (or before the caller's flush), or two writers racing on one
finding between steps 2 and 4, can leave the counters off by those findings;
``manage.py aggregates_rebuild`` recounts them from the findings table.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from botocore.config import Config as BotoConfig

from ouroboros.aggregates import aggregate_add_many
from ouroboros.aws import client as aws_client
from ouroboros.aws.dynamodb_batch import (
    MAX_GET_KEYS,
    BatchStats,
    BatchWriteError,
    RetryPolicy,
    batch_get,
    batch_write,
    chunked,
)
from ouroboros.controls.services import control_failed_count_actions
from ouroboros.findings.items import (
    HASH_ATTRIBUTES,
    STORED_ATTRIBUTES,
    FindingItem,
    FindingState,
    finding_content,
    finding_item_build,
    finding_item_merge,
    item_changed_at_keep,
    item_format_updated_at,
    item_formats,
    state_buckets,
)
from ouroboros.models import FindingModel
from ouroboros.securityhub.asff import NormalizedFinding

logger = logging.getLogger(__name__)

#: Threads writing one batch in parallel (each runs one BatchWriteItem at a time).
WRITE_WORKERS = 4

#: The writer's DynamoDB client skips botocore's client-side parameter validation: it is half of
#: botocore's CPU per item written, the items are built by `finding_item_build` (whose output a
#: test keeps equal to PynamoDB's serialization), and DynamoDB validates every request anyway.
WRITER_CONFIG = BotoConfig(parameter_validation=False)


def finding_writer_client() -> Any:
    """The low-level DynamoDB client `finding_upsert_batch` uses by default."""
    return aws_client("dynamodb", config=WRITER_CONFIG)


@dataclass
class FindingUpsertReport:
    """What `finding_upsert_batch` did; reports of several batches add up with `merge`."""

    received: int = 0
    written: int = 0
    created: int = 0
    unchanged: int = 0
    stale: int = 0
    write_calls: int = 0
    resends: int = 0
    aggregate_writes: int = 0

    def merge(self, other: FindingUpsertReport) -> FindingUpsertReport:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


def _latest_per_key(findings: Iterable[NormalizedFinding]) -> list[NormalizedFinding]:
    """One finding per (id, format): the latest update time."""
    latest: dict[tuple[str, str], NormalizedFinding] = {}
    for finding in findings:
        key = (finding.finding_id, finding.source_format)
        known = latest.get(key)
        if known is None or finding.updated_at >= known.updated_at:
            latest[key] = finding
    return list(latest.values())


def _rounds(findings: list[NormalizedFinding]) -> list[list[NormalizedFinding]]:
    """``findings`` in rounds with each id at most once per round (an id in both formats: two)."""
    first: dict[str, NormalizedFinding] = {}
    second: list[NormalizedFinding] = []
    for finding in findings:
        if finding.finding_id in first:
            second.append(finding)
        else:
            first[finding.finding_id] = finding
    return [list(first.values()), second] if second else [list(first.values())]


#: A written finding: the stored item it replaced (the compared fields; None if new) and the item.
Written = tuple[dict[str, Any] | None, dict[str, Any]]


def _deltas(written: Iterable[Written]) -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """Aggregate deltas and ``failed_count`` deltas of moving each stored state to its new one."""
    buckets: Counter[tuple[str, str]] = Counter()
    failing: Counter[str] = Counter()
    for stored, item in written:
        new = FindingState.from_item(item)
        for key in state_buckets(new):
            buckets[key] += 1
        if new.failing and new.control_id:
            failing[new.control_id] += 1
        if stored is not None:
            old = FindingState.from_item(stored)
            for key in state_buckets(old):
                buckets[key] -= 1
            if old.failing and old.control_id:
                failing[old.control_id] -= 1
    return buckets, failing


class FindingDeltas:
    """Aggregate deltas of several `finding_upsert_batch` calls, applied together by `flush`.

    Thread-safe: batches running on several threads add to one instance. ``pending`` counts the
    written findings whose deltas have not been applied yet.
    """

    def __init__(self) -> None:
        self.buckets: Counter[tuple[str, str]] = Counter()
        self.failing: Counter[str] = Counter()
        self.pending = 0
        self._lock = threading.Lock()

    def add(self, written: Sequence[Written]) -> None:
        buckets, failing = _deltas(written)
        with self._lock:
            self.buckets.update(buckets)
            self.failing.update(failing)
            self.pending += len(written)

    def flush(self, *, client: Any = None, now: datetime) -> int:
        """Apply what was added since the last flush; returns the number of aggregate actions.

        If the aggregate writes fail, the error is raised and those deltas are dropped, not kept
        for a later flush: a TransactWriteItems call that timed out may have landed, and counting
        it twice is worse than the drift ``manage.py aggregates_rebuild`` repairs.
        """
        with self._lock:
            buckets, failing = self.buckets, self.failing
            self.buckets, self.failing, self.pending = Counter(), Counter(), 0
        if not any(buckets.values()) and not any(failing.values()):
            return 0
        return aggregate_add_many(
            buckets,
            client=client or finding_writer_client(),
            now=now,
            also=control_failed_count_actions(failing),
        )


def finding_upsert_batch(
    *,
    findings: Iterable[NormalizedFinding],
    now: datetime,
    client: Any = None,
    executor: Executor | None = None,
    retry: RetryPolicy | None = None,
    deltas: FindingDeltas | None = None,
) -> FindingUpsertReport:
    """Store ``findings``; write only what changed; keep the aggregates exact (module docstring).

    ``client`` is a low-level DynamoDB client (default: `finding_writer_client`). The batch is cut
    into slices of 100 (one BatchGetItem each); each slice is read, compared and written as one
    task, and ``executor`` runs the tasks in parallel (default: a pool of `WRITE_WORKERS` for this
    call), so reads of one slice overlap writes of another. Aggregates move once, at the end,
    or, with ``deltas``, are added there for the caller to flush (``aggregate_writes`` stays 0).
    """
    latest = _latest_per_key(findings)
    report = FindingUpsertReport(received=len(latest))
    if not latest:
        return report
    ddb = client or finding_writer_client()
    for part in _rounds(latest):
        if executor is None and len(part) > MAX_GET_KEYS:
            with ThreadPoolExecutor(WRITE_WORKERS, thread_name_prefix="finding-upsert") as pool:
                _upsert(part, report, now, ddb, pool, retry, deltas)
        else:
            _upsert(part, report, now, ddb, executor, retry, deltas)
    return report


@dataclass
class _SliceResult:
    """What one slice task read and wrote (``error`` set if its writes failed part way)."""

    stored: dict[str, dict[str, Any]]
    landed: list[FindingItem]
    unchanged: int = 0
    stale: int = 0
    stats: BatchStats = field(default_factory=BatchStats)
    error: BatchWriteError | None = None


def _upsert_slice(
    ddb: Any, findings: Sequence[NormalizedFinding], now: datetime, retry: RetryPolicy | None
) -> _SliceResult:
    table = FindingModel.Meta.table_name
    options: dict[str, Any] = {} if retry is None else {"retry": retry}
    keys = [{"finding_id": {"S": f.finding_id}} for f in findings]
    stored = {
        item["finding_id"]["S"]: item
        for item in batch_get(ddb, table, keys, attributes=STORED_ATTRIBUTES, **options)
    }
    result = _SliceResult(stored, [])
    to_write: list[FindingItem] = []
    to_join: list[FindingItem] = []
    collected_at = FindingModel.collected_at.serialize(now)
    for finding in findings:
        content = finding_content(finding)
        fmt = finding.source_format
        old = stored.get(finding.finding_id)
        if old is not None:
            if old.get(HASH_ATTRIBUTES[fmt], {}).get("S") == content.content_hash:
                result.unchanged += 1
                continue
            if item_format_updated_at(old, fmt) > finding.updated_at:
                result.stale += 1
                continue
        built = finding_item_build(finding, now=now, content=content, collected_at=collected_at)
        if old is not None and item_formats(old) != [fmt]:
            to_join.append(built)  # the item holds the other format: join them
            continue
        if old is not None and "last_remediation" in old:
            built.item["last_remediation"] = old["last_remediation"]
        to_write.append(built)
    if to_join:
        join_keys = [{"finding_id": {"S": b.finding.finding_id}} for b in to_join]
        whole = {i["finding_id"]["S"]: i for i in batch_get(ddb, table, join_keys, **options)}
        for built in to_join:
            item = whole.get(built.finding.finding_id)
            to_write.append(finding_item_merge(built, item) if item else built)
    for built in to_write:
        old = stored.get(built.finding.finding_id)
        if old is not None:
            item_changed_at_keep(built.item, old)
    try:
        batch_write(ddb, table, [b.item for b in to_write], stats=result.stats, **options)
        result.landed = to_write
    except BatchWriteError as exc:
        result.error = exc
        ids = {item["finding_id"]["S"] for item in exc.written}
        result.landed = [b for b in to_write if b.finding.finding_id in ids]
    return result


def _upsert(
    findings: list[NormalizedFinding],
    report: FindingUpsertReport,
    now: datetime,
    ddb: Any,
    executor: Executor | None,
    retry: RetryPolicy | None,
    deltas: FindingDeltas | None,
) -> FindingUpsertReport:
    slices = list(chunked(findings, MAX_GET_KEYS))
    results: list[_SliceResult] = []
    errors: list[BaseException] = []
    if executor is None:
        for part in slices:
            try:
                results.append(_upsert_slice(ddb, part, now, retry))
            except Exception as exc:  # a failed read: nothing of this slice was written
                errors.append(exc)
    else:
        futures = [executor.submit(_upsert_slice, ddb, part, now, retry) for part in slices]
        for future in futures:
            failure = future.exception()
            if failure is None:
                results.append(future.result())
            else:
                errors.append(failure)
    landed: list[Written] = []
    for result in results:
        report.unchanged += result.unchanged
        report.stale += result.stale
        report.write_calls += result.stats.calls
        report.resends += result.stats.resends
        report.written += len(result.landed)
        ids = [b.finding.finding_id for b in result.landed]
        report.created += sum(1 for finding_id in ids if finding_id not in result.stored)
        landed += [(result.stored.get(b.finding.finding_id), b.item) for b in result.landed]
    if deltas is not None:
        deltas.add(landed)
    else:
        own = FindingDeltas()
        own.add(landed)
        report.aggregate_writes += own.flush(client=ddb, now=now)
    errors += [result.error for result in results if result.error is not None]
    if errors:
        logger.error("finding upsert: %d landed, then: %s", report.written, errors[0])
        raise errors[0]
    return report
