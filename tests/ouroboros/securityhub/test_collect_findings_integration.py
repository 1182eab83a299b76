"""The findings collector's pipeline on DynamoDB Local (threads, as in production): aggregate
deltas added up across batches are flushed every `AGGREGATE_FLUSH` findings and at the end, and
when a write fails part way the findings that landed are still counted, so a re-run leaves the
counters exactly equal to a recount of the table (`aggregates_rebuild(check=True)`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from ouroboros.aggregates import TRANSACT_MAX_ACTIONS, aggregate_read
from ouroboros.aggregates.rebuild import aggregates_rebuild
from ouroboros.findings.services import BatchWriteError, FindingDeltas, finding_writer_client
from ouroboros.models import FindingModel
from ouroboros.securityhub import collect_findings as collector
from ouroboros.securityhub.collect_findings import findings_ingest
from tests.ouroboros.findings.conftest import sample_raws, variant

pytestmark = pytest.mark.integration

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _pages(count: int, size: int = 25) -> list[list[dict[str, Any]]]:
    raws = sample_raws()
    findings = [variant(raws[i % len(raws)], i) for i in range(count)]
    return [findings[i : i + size] for i in range(0, count, size)]


def _stored() -> int:
    return sum(1 for _ in FindingModel.scan(attributes_to_get=["finding_id"]))


class _Raw:
    def stream(self, **_: Any) -> Any:
        yield b""


def test_deltas_flushed_along_the_way_and_at_the_end_match_a_recount(
    ddb_tables: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collector, "AGGREGATE_FLUSH", 50)
    transactions: list[int] = []
    flushes: list[int] = []  # the aggregate actions of each flush that had deltas
    flush = FindingDeltas.flush

    def count(params: dict[str, Any], **_: Any) -> None:
        transactions.append(len(params["TransactItems"]))

    def flush_counted(self: FindingDeltas, **kwargs: Any) -> int:
        actions = flush(self, **kwargs)
        if actions:
            flushes.append(actions)
        return actions

    monkeypatch.setattr(FindingDeltas, "flush", flush_counted)

    ddb = finding_writer_client()
    ddb.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", count)
    pages = _pages(180, size=30)
    try:
        report = findings_ingest(pages=pages, now=NOW, batch_size=30, client=ddb)
    finally:
        ddb.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", count)
    assert (report.read, report.written) == (180, 180)
    # Six batches of 30, flushed after every 60 findings: three flushes, not six.
    assert len(flushes) == 3
    # Each flush writes its buckets (state, severity, facets...) in TransactWriteItems calls of
    # at most 100 actions, one flush after the other.
    expected = [
        min(TRANSACT_MAX_ACTIONS, actions - start)
        for actions in flushes
        for start in range(0, actions, TRANSACT_MAX_ACTIONS)
    ]
    assert transactions == expected
    assert report.upsert.aggregate_writes == sum(transactions) == sum(flushes)
    assert aggregate_read("findings#state") == {"ACTIVE": 180}
    assert aggregates_rebuild(check=True).drift == []
    again = findings_ingest(pages=pages, now=NOW, batch_size=30)
    assert (again.written, again.unchanged, again.upsert.aggregate_writes) == (0, 180, 0)


def test_a_write_failing_part_way_still_counts_what_landed(ddb_tables: str) -> None:
    ddb = finding_writer_client()
    calls = {"n": 0}

    def fail_after_four(request: Any, **_: Any) -> AWSResponse | None:
        calls["n"] += 1
        if calls["n"] <= 4:
            return None
        response = AWSResponse(request.url, 400, {}, _Raw())
        response._content = (
            b'{"__type":"com.amazon.coral.validate#ValidationException",'
            b'"message":"injected failure"}'
        )
        return response

    pages = _pages(150)
    ddb.meta.events.register_first("before-send.dynamodb.BatchWriteItem", fail_after_four)
    try:
        with pytest.raises(BatchWriteError):
            findings_ingest(pages=pages, now=NOW, batch_size=50, client=ddb)
    finally:
        ddb.meta.events.unregister("before-send.dynamodb.BatchWriteItem", fail_after_four)

    landed = _stored()
    assert 0 < landed < 150
    assert aggregate_read("findings#state") == {"ACTIVE": landed}
    assert aggregates_rebuild(check=True).drift == []

    report = findings_ingest(pages=pages, now=NOW, batch_size=50, client=ddb)
    assert (report.written, report.unchanged) == (150 - landed, landed)
    assert aggregate_read("findings#state") == {"ACTIVE": 150}
    assert aggregates_rebuild(check=True).drift == []
