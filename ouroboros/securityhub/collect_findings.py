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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ouroboros.aggregates import sync_state_get, sync_state_set
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
RECORD_STATES = ("ACTIVE", "ARCHIVED")
IMPORTED_V2 = "Findings Imported V2"
FINDING_EVENT_TYPES = (
    "Security Hub Findings - Imported",
    "Security Hub Findings - Custom Action",
    IMPORTED_V2,
)
#: GetFindingsV2's sort and date field: OCSF's ``UpdatedAt``.
V2_MODIFIED = "finding_info.modified_time_dt"
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException"})

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

    def __init__(self, now: datetime, client: Any, report: FindingsCollectReport) -> None:
        self.now, self.client, self.report = now, client, report
        self.in_flight: list[tuple[frozenset[str], Future[FindingUpsertReport]]] = []
        self.deltas = FindingDeltas()
        self.limit = IN_FLIGHT
        self.batches = ThreadPoolExecutor(self.limit, thread_name_prefix="findings-batch")
        self.slices = ThreadPoolExecutor(
            finding_services.WRITE_WORKERS, thread_name_prefix="findings-slice"
        )

    def _collect(self, index: int) -> None:
        _, future = self.in_flight.pop(index)
        self.report.upsert.merge(future.result())
        if self.deltas.pending >= AGGREGATE_FLUSH:
            self.flush()

    def flush(self) -> None:
        self.report.upsert.aggregate_writes += self.deltas.flush(client=self.client, now=self.now)

    def submit(self, batch: list[NormalizedFinding]) -> None:
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

    def drain(self) -> None:
        while self.in_flight:
            self._collect(0)
        self.flush()

    def close(self) -> None:
        """Let what is in flight finish; count what succeeded (errors yield to the one raised)."""
        for _, future in self.in_flight:
            if future.exception() is None:
                self.report.upsert.merge(future.result())
        self.in_flight.clear()
        self.batches.shutdown()
        self.slices.shutdown()
        if self.deltas.pending:
            try:
                self.flush()
            except Exception:
                logger.exception(
                    "aggregates of findings already written could not be applied; "
                    "run `manage.py aggregates_rebuild`"
                )


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
) -> FindingsCollectReport:
    """Parse ``pages`` of findings (ASFF or OCSF, `finding_parse`) and upsert them in batches;
    the source of pages is the caller's.

    Reading the next pages (on a prefetch thread, up to ``prefetch`` pages ahead; 0: none) and
    parsing them overlap with writing the previous batches (`_Pipeline`).
    """
    report = report or FindingsCollectReport()
    source = _Prefetch(pages, prefetch) if prefetch > 0 else None
    if source is not None:
        pages = source
    pipeline = _Pipeline(now, client, report)
    batch: list[NormalizedFinding] = []
    # The first batch is one page, so that writing starts while the next pages are read.
    target = min(batch_size, PAGE_SIZE)
    try:
        for page in pages:
            report.pages += 1
            for raw in page:
                report.read += 1
                try:
                    batch.append(finding_parse(raw))
                except AsffValidationError as exc:  # OcsfValidationError is one too
                    report.invalid += 1
                    logger.error("skipping a malformed finding: %s", exc)
            if len(batch) >= target:
                pipeline.submit(batch)
                batch = []
                target = batch_size
        if batch:
            pipeline.submit(batch)
        pipeline.drain()
    finally:
        if source is not None:
            source.close()
        pipeline.close()
    return report


def _pages(client: Any, operation: str, **request: Any) -> Iterator[Page]:
    """The ``Findings`` of each page of ``operation``'s paginator, 100 a page, oldest first."""
    paginator = client.get_paginator(operation)
    try:
        for page in paginator.paginate(**request, PaginationConfig={"PageSize": PAGE_SIZE}):
            yield page.get("Findings", [])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in THROTTLING_CODES:
            api = "GetFindingsV2" if operation == "get_findings_v2" else "GetFindings"
            raise ThrottledError(f"Security Hub {api} kept throttling") from exc
        raise


def _get_findings_pages(client: Any, filters: Mapping[str, Any]) -> Iterator[Page]:
    return _pages(
        client,
        "get_findings",
        Filters=dict(filters),
        SortCriteria=[{"Field": "UpdatedAt", "SortOrder": "asc"}],
    )


def _get_findings_v2_pages(client: Any, filters: Mapping[str, Any] | None) -> Iterator[Page]:
    request: dict[str, Any] = {"SortCriteria": [{"Field": V2_MODIFIED, "SortOrder": "asc"}]}
    if filters:
        request["Filters"] = dict(filters)
    return _pages(client, "get_findings_v2", **request)


def findings_filters(*, start: str | None, end: str) -> dict[str, Any]:
    """GetFindings filters of a sync: both record states, ``UpdatedAt`` in [start, end]."""
    updated: dict[str, str] = {"End": end}
    if start:
        updated["Start"] = start
    return {
        "RecordState": [{"Value": state, "Comparison": "EQUALS"} for state in RECORD_STATES],
        "UpdatedAt": [updated],
    }


def findings_v2_filters(*, start: str | None, end: str) -> dict[str, Any] | None:
    """GetFindingsV2 filters of a sync: ``finding_info.modified_time_dt`` in [start, end]; None
    (every finding) for a full sync, as GetFindingsV2's date filter wants both ends."""
    if not start:
        return None
    window = {"FieldName": V2_MODIFIED, "Filter": {"Start": start, "End": end}}
    return {
        "CompositeOperator": "AND",
        "CompositeFilters": [{"Operator": "AND", "DateFilters": [window]}],
    }


def findings_sources(mode: str | None = None) -> tuple[str, ...]:
    """The APIs a sync reads for ``OUROBOROS_SECURITYHUB_V2`` = ``mode`` (default: configured)."""
    mode = mode or get_config().securityhub_v2
    return {"off": ("GetFindings",), "on": ("GetFindings", "GetFindingsV2")}.get(
        mode, ("GetFindingsV2",)
    )


def findings_collect(
    *,
    full: bool = False,
    client: Any = None,
    ddb_client: Any = None,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    overlap: timedelta = OVERLAP,
) -> FindingsCollectReport:
    """Sync findings from Security Hub: incrementally from the watermark, or everything."""
    client = client or aws_client("securityhub")
    now = now or datetime.now(UTC)
    watermark = None if full else sync_state_get(WATERMARK)
    collector_lag_record(watermark=watermark, now=now)
    start = None
    if watermark:
        try:
            start = _iso(datetime.fromisoformat(watermark) - overlap)
        except ValueError:
            logger.warning("unreadable findings watermark %r: syncing everything", watermark)
    report = FindingsCollectReport(mode="incremental" if start else "full", start=start)
    report.end = _iso(now)
    for source in findings_sources():
        # One source after the other: the twins of a finding never share a batch.
        pages = (
            _get_findings_pages(client, findings_filters(start=start, end=report.end))
            if source == "GetFindings"
            else _get_findings_v2_pages(client, findings_v2_filters(start=start, end=report.end))
        )
        report.sources.append(source)
        findings_ingest(
            pages=pages, now=now, batch_size=batch_size, client=ddb_client, report=report
        )
    sync_state_set(WATERMARK, report.end)
    metric_record(COLLECTOR_PAGES, report.pages)
    logger.info("findings collected: %s", report.as_dict())
    return report


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
