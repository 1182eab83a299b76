"""The findings collector (full and incremental sync) and the "Findings - Imported" event path.

Two sources, chosen by ``OUROBOROS_SECURITYHUB_V2`` (`ouroboros.config`): ``GetFindings`` (ASFF,
Security Hub CSPM) unless it is ``only``, and ``GetFindingsV2`` (OCSF, the new Security Hub) when
it is ``on`` or ``only``. Both are read over the same ``[start, end]`` range of one watermark
(``UpdatedAt`` for ASFF, ``finding_info.modified_time_dt`` for OCSF: the same instant of the same
finding), one source after the other, into the same writer; OCSF documents are parsed with
`ouroboros.securityhub.ocsf.ocsf_parse`, so a control finding seen in both formats is one item.
``GetFindingsV2`` has no record-state filter: it returns active and closed findings alike.

`findings_collect` pages through ``GetFindings`` in the (administrator) account, 100 findings a
page, with both record states (archived findings must leave the active views, so they are
collected too) and, incrementally, an ``UpdatedAt`` range starting at the stored watermark
(`ouroboros.aggregates.sync_state_get`) minus an overlap. Pages stream into `findings_ingest`,
which parses them, groups them into batches and hands each to `finding_upsert_batch` on a
background thread while the next pages are read (`_Pipeline`; pages are fetched ahead on their
own thread, `_Prefetch`, so GetFindings keeps going while the main thread waits on a batch);
an unchanged finding costs a read, no write. The batches' aggregate deltas add up in one
`FindingDeltas`, applied every `AGGREGATE_FLUSH` written findings and when the run ends (also
when it fails: what landed is counted before the error is raised).

Throttling: GetFindings allows 3 requests/s (burst 6). The client retries throttling in botocore's
adaptive mode (client-side rate limiting after the first throttle, `ouroboros.aws.session`); if it
still fails, `ThrottledError` is raised and the watermark stays where it was.

Resumable: a run that does not fit in one invocation (a first full sync of a large organization)
checkpoints its progress in the sync state after each completed page batch (the range, the
source, the ``NextToken`` and the last complete page's ``UpdatedAt``:
`ouroboros.securityhub.collect_checkpoint`) and stops cleanly when ``time_left`` (the Lambda
handler passes the invocation's remaining time) falls below a margin; the next invocation (the
collector's schedule calls it again) resumes from the checkpoint, never re-reading a page it
finished, and falls back to an ``UpdatedAt`` range if the stored token expired. The checkpoint
moves only once a batch's findings and their aggregate deltas are written. The command line has
no time limit.

One invocation at a time: a run holds a lease (`ouroboros.aggregates.sync_lease_acquire`, for its
time left plus a grace) while it works; an invocation that starts while another holds it (the
schedule and a manual full sync, or a late schedule) reads and writes nothing and says until when
the other runs (``running_elsewhere_until``). Each checkpoint renews the lease (a command-line
sync has no time limit); it is released when the run ends, and a run that died only blocks the
others until its lease ends.

Watermark: set, only after a run completed, to the run's start time (the ``End`` of its range).
The next run starts ``overlap`` earlier (default 5 minutes) to take findings Security Hub indexed
late; re-reading them writes nothing. A finding imported with an ``UpdatedAt`` older than that is
caught by its "Findings - Imported" event (`finding_imported`) or the next full sync.

Metrics (`ouroboros.observability.metrics`): an incremental run records, as it starts, how old
the watermark is (``CollectorLagSeconds``: a collector that keeps failing reports a growing
lag), and a completed run the pages it read (``CollectorPages``).

`finding_imported` upserts every finding of an EventBridge event (the docs say one per event, real
events carry more; "Findings Imported V2" events carry OCSF) through the same service. Malformed
findings do not stop the valid ones: those are stored, then `AsffValidationError` (or
`OcsfValidationError` when the first malformed one is OCSF) is raised for the rest, so the event
fails visibly (and goes to the function's retry / dead-letter path) instead of losing them
silently.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ouroboros.aggregates import (
    sync_lease_acquire,
    sync_lease_release,
    sync_lease_renew,
    sync_state_get,
    sync_state_set,
)
from ouroboros.aws import client as aws_client
from ouroboros.config import get_config
from ouroboros.errors import ThrottledError, ValidationError
from ouroboros.findings import services as finding_services
from ouroboros.findings.services import FindingDeltas, FindingUpsertReport, finding_upsert_batch
from ouroboros.observability.metrics import COLLECTOR_PAGES, collector_lag_record, metric_record
from ouroboros.securityhub.asff import (
    AsffValidationError,
    NormalizedFinding,
    asff_timestamp,
)
from ouroboros.securityhub.collect_checkpoint import (
    THROTTLING_CODES,
    CheckpointedPages,
    SyncCheckpoint,
    checkpoint_load,
    checkpoint_save,
)
from ouroboros.securityhub.collect_checkpoint import findings_filters as findings_filters
from ouroboros.securityhub.collect_checkpoint import findings_v2_filters as findings_v2_filters
from ouroboros.securityhub.ocsf import finding_parse

logger = logging.getLogger(__name__)

WATERMARK = "findings"
PAGE_SIZE = 100
BATCH_SIZE = 1000
IN_FLIGHT = 2
#: Written findings whose aggregate deltas may wait before they are applied.
AGGREGATE_FLUSH = 5000
#: Pages read ahead by the prefetch thread while earlier ones are parsed and written.
PREFETCH_PAGES = 20
OVERLAP = timedelta(minutes=5)
#: The lease one invocation holds on the sync (``sync#findings_sync_lease``): as long as the
#: invocation may run (its time left, or a Lambda's 900 s when unknown) plus a grace.
LEASE = "findings_sync"
LEASE_SECONDS = 900.0
LEASE_GRACE_SECONDS = 60.0


class SyncLeaseLostError(RuntimeError):
    """This run's lease ran out and another run took the sync over."""


#: Seconds of an invocation kept for writing what was read and storing the checkpoint.
TIME_MARGIN = 60.0
#: Completed pages after which the checkpoint is stored (also at every aggregate flush).
CHECKPOINT_PAGES = 50
IMPORTED_V2 = "Findings Imported V2"
FINDING_EVENT_TYPES = (
    "Security Hub Findings - Imported",
    "Security Hub Findings - Custom Action",
    IMPORTED_V2,
)

Page = Sequence[Mapping[str, Any]]


@dataclass
class FindingsCollectReport:
    """What a collection read and wrote (``upsert`` adds up every batch)."""

    mode: str = "pages"
    #: The APIs read, in order (``GetFindings``, ``GetFindingsV2``).
    sources: list[str] = field(default_factory=list)
    start: str | None = None
    end: str | None = None
    pages: int = 0
    read: int = 0
    invalid: int = 0
    upsert: FindingUpsertReport = field(default_factory=FindingUpsertReport)
    #: False when the invocation ran out of time: the next one resumes from the checkpoint.
    complete: bool = True
    #: Invocations before this one that worked on the same run.
    resumes: int = 0
    #: Stored NextTokens refused (expired) in this invocation.
    expired_tokens: int = 0
    #: Set when another invocation was running the sync: until when its lease runs (this one
    #: read and wrote nothing).
    running_elsewhere_until: str | None = None

    @property
    def written(self) -> int:
        return self.upsert.written

    @property
    def unchanged(self) -> int:
        return self.upsert.unchanged

    def as_dict(self) -> dict[str, Any]:
        """Flat counts for logs, commands and Lambda results."""
        return {
            "mode": self.mode,
            "sources": list(self.sources),
            "start": self.start,
            "end": self.end,
            "pages": self.pages,
            "read": self.read,
            "invalid": self.invalid,
            "complete": self.complete,
            "resumes": self.resumes,
            "expired_tokens": self.expired_tokens,
            "running_elsewhere_until": self.running_elsewhere_until,
            **vars(self.upsert),
        }


def _iso(moment: datetime) -> str:
    return asff_timestamp(moment.astimezone(UTC).isoformat(), "now")


class _Pipeline:
    """Batches being upserted in the background: at most `IN_FLIGHT`, never two sharing an id.

    Two batches in flight let one batch's aggregate update overlap the next batch's reads and
    writes. A batch waits for any in-flight batch holding one of its finding ids, so the
    read-before-write of a finding always sees the previous write of it. The batches' slices share
    one pool of ``WRITE_WORKERS`` threads: no more DynamoDB calls at once than one batch makes.
    """

    def __init__(
        self,
        now: datetime,
        client: Any,
        report: FindingsCollectReport,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.now, self.client, self.report = now, client, report
        self.in_flight: list[tuple[frozenset[str], Future[FindingUpsertReport]]] = []
        #: Every batch not yet counted as progress: (pages up to its last one, its future).
        self.order: list[tuple[int, Future[FindingUpsertReport]]] = []
        self.on_progress, self.reported = on_progress, 0
        self.deltas = FindingDeltas()
        self.limit = IN_FLIGHT
        self.batches = ThreadPoolExecutor(self.limit, thread_name_prefix="findings-batch")
        self.slices = ThreadPoolExecutor(
            finding_services.WRITE_WORKERS, thread_name_prefix="findings-slice"
        )

    def _collect(self, index: int) -> None:
        _, future = self.in_flight.pop(index)
        self.report.upsert.merge(future.result())
        done = self._done_pages()  # before the flush: only batches whose deltas it applies
        if self.deltas.pending >= AGGREGATE_FLUSH or done - self.reported >= CHECKPOINT_PAGES:
            self.flush()
            self.progress(done)

    def _done_pages(self) -> int:
        """Pages whose batches, and every batch before them, were written."""
        done = self.reported
        for pages, future in self.order:
            if not future.done() or future.exception() is not None:
                break
            done = pages
        return done

    def progress(self, done: int) -> None:
        """Report ``done`` pages written: call it after the `flush` that applied their batches'
        aggregate deltas, with a `_done_pages` taken before that flush."""
        self.order = [(pages, future) for pages, future in self.order if pages > done]
        if self.on_progress is not None and done > self.reported:
            self.on_progress(done)
            self.reported = done

    def flush(self) -> None:
        self.report.upsert.aggregate_writes += self.deltas.flush(client=self.client, now=self.now)

    def submit(self, batch: list[NormalizedFinding], pages: int = 0) -> None:
        ids = frozenset(f.finding_id for f in batch)
        while any(held & ids for held, _ in self.in_flight):
            self._collect(next(i for i, (held, _) in enumerate(self.in_flight) if held & ids))
        if len(self.in_flight) >= self.limit:
            self._collect(0)
        future = self.batches.submit(
            finding_upsert_batch,
            findings=batch,
            now=self.now,
            client=self.client,
            executor=self.slices,
            deltas=self.deltas,
        )
        self.in_flight.append((ids, future))
        if self.on_progress is not None:
            self.order.append((pages, future))

    def drain(self, pages: int = 0) -> None:
        """Wait for every batch and apply the deltas; all ``pages`` read are then progress."""
        while self.in_flight:
            self._collect(0)
        self.flush()
        self.progress(max(pages, self._done_pages()))

    def close(self) -> None:
        """Let what is in flight finish; count what succeeded (errors yield to the one raised)."""
        for _, future in self.in_flight:
            if future.exception() is None:
                self.report.upsert.merge(future.result())
        self.in_flight.clear()
        self.batches.shutdown()
        self.slices.shutdown()
        done = self._done_pages()
        if self.deltas.pending:
            try:
                self.flush()
            except Exception:
                logger.exception(
                    "aggregates of findings already written could not be applied; "
                    "run `manage.py aggregates_rebuild`"
                )
                return
        try:  # after an error: what was written is progress the next run need not repeat
            self.progress(done)
        except Exception:
            logger.exception("the findings sync checkpoint could not be stored")


class _Prefetch:
    """Pages of an iterable read on a background thread, at most ``depth`` ahead of the reader.

    The collector's main thread blocks whenever two batches are being written; without this,
    GetFindings would wait too. An error of the source is raised in the reader; `close` stops the
    thread after its current page (a page already being fetched is finished, then dropped).
    """

    _END = object()

    def __init__(self, pages: Iterable[Page], depth: int) -> None:
        self._pages = pages
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fill, name="findings-prefetch", daemon=True)
        self._thread.start()

    def _put(self, value: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _fill(self) -> None:
        try:
            for page in self._pages:
                if not self._put(page):
                    return
        except BaseException as exc:  # handed to the reader, raised there
            self._put(exc)
            return
        self._put(self._END)

    def __iter__(self) -> Iterator[Page]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def findings_ingest(
    *,
    pages: Iterable[Page],
    now: datetime,
    batch_size: int = BATCH_SIZE,
    client: Any = None,
    report: FindingsCollectReport | None = None,
    prefetch: int = PREFETCH_PAGES,
    on_progress: Callable[[int], None] | None = None,
) -> FindingsCollectReport:
    """Parse ``pages`` of findings (ASFF or OCSF, `finding_parse`) and upsert them in batches;
    the source of pages is the caller's.

    Reading the next pages (on a prefetch thread, up to ``prefetch`` pages ahead; 0: none) and
    parsing them overlap with writing the previous batches (`_Pipeline`). ``on_progress(n)`` is
    called, now and then and at the end, once the first ``n`` pages are written with their
    aggregates (the collector's checkpoint).
    """
    report = report or FindingsCollectReport()
    source = _Prefetch(pages, prefetch) if prefetch > 0 else None
    if source is not None:
        pages = source
    pipeline = _Pipeline(now, client, report, on_progress)
    batch: list[NormalizedFinding] = []
    # The first batch is one page, so that writing starts while the next pages are read.
    target = min(batch_size, PAGE_SIZE)
    consumed = 0
    try:
        for page in pages:
            report.pages += 1
            consumed += 1
            for raw in page:
                report.read += 1
                try:
                    batch.append(finding_parse(raw))
                except AsffValidationError as exc:  # OcsfValidationError is one too
                    report.invalid += 1
                    logger.error("skipping a malformed finding: %s", exc)
            if len(batch) >= target:
                pipeline.submit(batch, consumed)
                batch = []
                target = batch_size
        if batch:
            pipeline.submit(batch, consumed)
        pipeline.drain(consumed)
    finally:
        if source is not None:
            source.close()
        pipeline.close()
    return report


def _get_findings_pages(client: Any, filters: Mapping[str, Any]) -> Iterator[Page]:
    """Every page of GetFindings over ``filters``, oldest first, without a checkpoint (the
    benchmarks' source; the collector reads through `CheckpointedPages`)."""
    paginator = client.get_paginator("get_findings")
    request = {
        "Filters": dict(filters),
        "SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "asc"}],
    }
    try:
        for page in paginator.paginate(**request, PaginationConfig={"PageSize": PAGE_SIZE}):
            yield page.get("Findings", [])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in THROTTLING_CODES:
            raise ThrottledError("Security Hub GetFindings kept throttling") from exc
        raise


def findings_sources(mode: str | None = None) -> tuple[str, ...]:
    """The APIs a sync reads for ``OUROBOROS_SECURITYHUB_V2`` = ``mode`` (default: configured)."""
    mode = mode or get_config().securityhub_v2
    return {"off": ("GetFindings",), "on": ("GetFindings", "GetFindingsV2")}.get(
        mode, ("GetFindingsV2",)
    )


def _run_checkpoint(*, full: bool, now: datetime, overlap: timedelta) -> SyncCheckpoint:
    """The run this invocation works on: the stored one if it is unfinished (and not an
    incremental run when ``full`` is asked), else a new one from the watermark."""
    watermark = None if full else sync_state_get(WATERMARK)
    collector_lag_record(watermark=watermark, now=now)
    stored = checkpoint_load()
    if (
        stored is not None
        and not stored.done
        and stored.source_index < len(stored.sources)
        and not (full and stored.mode != "full")
    ):
        stored.resumes += 1
        return stored
    start = None
    if watermark:
        try:
            start = _iso(datetime.fromisoformat(watermark) - overlap)
        except ValueError:
            logger.warning("unreadable findings watermark %r: syncing everything", watermark)
    return SyncCheckpoint(
        mode="incremental" if start else "full",
        start=start,
        end=_iso(now),
        sources=list(findings_sources()),
        started_at=_iso(now),
        range_start=start,
    )


def _checkpointer(
    checkpoint: SyncCheckpoint, pages: CheckpointedPages, renew: Callable[[], None]
) -> Callable[[int], None]:
    """Store ``checkpoint`` at the cursor after the ``n``-th page of ``pages`` once it is written
    (and ``renew`` the run's lease); a cursor without a token ends the source: the checkpoint
    moves to the next one (or is done after the last)."""
    base_pages, base_read, base_expired = (
        checkpoint.pages,
        checkpoint.read,
        checkpoint.expired_tokens,
    )
    index = checkpoint.source_index

    def progress(done: int) -> None:
        cursor = pages.cursors[done - 1]
        checkpoint.pages, checkpoint.read = base_pages + cursor.pages, base_read + cursor.read
        checkpoint.expired_tokens = base_expired + pages.expired_tokens
        checkpoint.source_index = index
        checkpoint.range_start, checkpoint.next_token = cursor.range_start, cursor.next_token
        checkpoint.last_updated_at = cursor.last_updated_at
        if cursor.next_token is None:
            checkpoint.source_next()
            checkpoint.done = checkpoint.source_index >= len(checkpoint.sources)
        checkpoint_save(checkpoint, now=_iso(datetime.now(UTC)))
        renew()

    return progress


def findings_collect(
    *,
    full: bool = False,
    client: Any = None,
    ddb_client: Any = None,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    overlap: timedelta = OVERLAP,
    time_left: Callable[[], float] | None = None,
    margin: float = TIME_MARGIN,
    page_size: int = PAGE_SIZE,
) -> FindingsCollectReport:
    """Sync findings from Security Hub: incrementally from the watermark, or everything; resume
    an unfinished run from its checkpoint first.

    ``time_left()``: seconds this invocation has left (None: no limit); reading stops once it is
    below ``margin``, what was read is written and checkpointed, and the report says
    ``complete=False``.
    """
    now = now or datetime.now(UTC)
    holder = uuid.uuid4().hex
    seconds = (time_left() if time_left else LEASE_SECONDS) + LEASE_GRACE_SECONDS
    running = sync_lease_acquire(LEASE, holder=holder, now=now, seconds=seconds)
    if running is not None:  # a scheduled run and a manual full sync overlapped
        logger.info("findings sync already running elsewhere until %s: nothing to do", running)
        return FindingsCollectReport(mode="skipped", running_elsewhere_until=running)
    began = time.monotonic()

    def renew() -> None:  # each checkpoint: a run with no time limit (the command) keeps it
        if not sync_lease_renew(
            LEASE,
            holder=holder,
            now=now + timedelta(seconds=time.monotonic() - began),
            seconds=seconds,
        ):
            raise SyncLeaseLostError(
                "Another findings sync took over after this one's lease ran out: stopping here "
                "(the next run resumes from the checkpoint)"
            )

    client = client or aws_client("securityhub")
    try:
        checkpoint = _run_checkpoint(full=full, now=now, overlap=overlap)
        report = FindingsCollectReport(
            mode=checkpoint.mode,
            start=checkpoint.start,
            end=checkpoint.end,
            resumes=checkpoint.resumes,
        )
        while checkpoint.source_index < len(checkpoint.sources):
            # One source after the other: the twins of a finding never share a batch.
            index = checkpoint.source_index
            pages = CheckpointedPages(client, checkpoint, page_size, time_left, margin)
            report.sources.append(checkpoint.source)
            try:
                findings_ingest(
                    pages=pages,
                    now=now,
                    batch_size=batch_size,
                    client=ddb_client,
                    report=report,
                    on_progress=_checkpointer(checkpoint, pages, renew),
                )
            finally:
                report.expired_tokens += pages.expired_tokens
            if pages.stopped:
                report.complete = False
                checkpoint_save(checkpoint, now=_iso(datetime.now(UTC)))
                metric_record(COLLECTOR_PAGES, report.pages)
                logger.info("findings sync paused for time, resumes next run: %s", report.as_dict())
                return report
            if checkpoint.source_index == index:  # read to the end without a page (cannot happen)
                checkpoint.source_next()
        if not checkpoint.done:
            checkpoint.done = True
            checkpoint_save(checkpoint, now=_iso(datetime.now(UTC)))
        sync_state_set(WATERMARK, checkpoint.end)
        metric_record(COLLECTOR_PAGES, report.pages)
        logger.info("findings collected: %s", report.as_dict())
        return report
    finally:
        sync_lease_release(LEASE, holder=holder)


def imported_event_findings(event: Any) -> list[Any]:
    """The findings of a Security Hub findings event; `ValidationError` for anything else."""
    if not isinstance(event, Mapping):
        raise ValidationError("event: expected an object")
    if event.get("detail-type") not in FINDING_EVENT_TYPES:
        raise ValidationError(
            f"event: not a Security Hub findings event: {event.get('detail-type')!r}"
        )
    detail = event.get("detail")
    findings = detail.get("findings") if isinstance(detail, Mapping) else None
    if not isinstance(findings, list):
        raise ValidationError("event: detail.findings is missing or not a list")
    return findings


def finding_imported(*, event: Any, now: datetime | None = None) -> FindingUpsertReport:
    """Upsert every finding a "Findings - Imported" (ASFF) or "Findings Imported V2" (OCSF) event
    carries (see the module docstring)."""
    raws = imported_event_findings(event)
    parsed: list[NormalizedFinding] = []
    errors: list[AsffValidationError] = []
    for raw in raws:
        try:
            parsed.append(finding_parse(raw))
        except AsffValidationError as exc:  # OcsfValidationError is one too
            errors.append(exc)
    report = finding_upsert_batch(findings=parsed, now=now or datetime.now(UTC))
    if errors:
        first = errors[0]
        raise type(first)(
            first.field,
            f"{len(errors)} of {len(raws)} findings malformed, the rest stored; first: {first}",
            first.finding_id,
        )
    return report
