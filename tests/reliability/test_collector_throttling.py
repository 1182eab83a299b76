"""Throttling on every AWS call of the findings collectors is retried; nothing is lost or counted
twice.

Each case collects the same findings twice in one moto: once into one stage's tables with no
faults, once into another stage's tables with one operation throttled twice. The stored findings
and every aggregate counter must be identical. The Imported-event path is checked the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ouroboros.aws import client
from ouroboros.models import AggregateModel, FindingModel
from ouroboros.securityhub.collect_findings import finding_imported, findings_collect
from tests.ouroboros.findings.conftest import sample_raws
from tests.reliability.faults import FaultInjector
from tests.reliability.stages import stage_enter

pytestmark = pytest.mark.functional

#: Every call a collection makes (the baseline case checks the list stays complete).
COLLECTOR_CALLS = [
    ("securityhub", "GetFindings"),
    ("dynamodb", "BatchGetItem"),  # the stored versions of the page's findings
    ("dynamodb", "BatchWriteItem"),  # the findings
    ("dynamodb", "TransactWriteItems"),  # the aggregate counters
    ("dynamodb", "PutItem"),  # the lease, the watermark and the sync checkpoint
    ("dynamodb", "GetItem"),  # the sync checkpoint (a run to resume?)
    ("dynamodb", "UpdateItem"),  # the lease, renewed at each checkpoint
    ("dynamodb", "DeleteItem"),  # the lease, released at the end
]
IMPORTED_CALLS = COLLECTOR_CALLS[1:4]


def snapshot() -> tuple[list[str], list[tuple[str, str, int]]]:
    findings = sorted(f.finding_id for f in FindingModel.scan())
    counters = sorted((a.aggregate_id, a.bucket, int(a.total or 0)) for a in AggregateModel.scan())
    return findings, counters


def in_stage(monkeypatch: pytest.MonkeyPatch, stage: str, run: Callable[[], Any]) -> Any:
    stage_enter(monkeypatch, stage)
    run()
    return snapshot()


@pytest.fixture
def imported(faults: FaultInjector) -> FaultInjector:
    client("securityhub").batch_import_findings(Findings=sample_raws()[:8])
    faults.sent.clear()
    return faults


def test_the_baseline_makes_every_listed_call(
    imported: FaultInjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    def collect() -> None:
        imported.sent.clear()
        findings_collect(full=True)
        assert sorted(imported.sent) == sorted(COLLECTOR_CALLS)

    in_stage(monkeypatch, "base", collect)


@pytest.mark.parametrize(("service", "operation"), COLLECTOR_CALLS)
def test_collect_throttled_once_per_call_stores_the_same(
    imported: FaultInjector, monkeypatch: pytest.MonkeyPatch, service: str, operation: str
) -> None:
    expected = in_stage(monkeypatch, "base", lambda: findings_collect(full=True))
    fault = imported.throttle(service, operation, times=2)
    got = in_stage(monkeypatch, "faulty", lambda: findings_collect(full=True))
    assert fault.injected == 2
    assert got == expected and len(got[0]) == 8


def _event() -> dict[str, Any]:
    return {
        "id": "reliability",
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "detail": {"findings": sample_raws()[:8]},
    }


def test_imported_event_throttled_on_every_call_stores_the_same(
    imported: FaultInjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = in_stage(monkeypatch, "base", lambda: finding_imported(event=_event()))
    faults = [imported.throttle(service, op, times=1) for service, op in IMPORTED_CALLS]
    got = in_stage(monkeypatch, "faulty", lambda: finding_imported(event=_event()))
    assert [f.injected for f in faults] == [1] * len(IMPORTED_CALLS)
    assert got == expected and len(got[0]) == 8
