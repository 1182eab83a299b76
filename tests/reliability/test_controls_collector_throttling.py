"""Throttling on every call of the controls collector is retried; the catalog ends the same.

moto serves none of the controls collector's Security Hub operations, so Security Hub here is
the local Security Hub (its HTTP server, seeded with the AFSBP catalog) and DynamoDB is moto;
the fault injector answers in front of both. Each case collects the same catalog twice: once
into one stage's tables with no faults, once into another stage's tables with one operation
throttled twice. The stored controls, memberships and counters must be identical.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.securityhub_server import SecurityHubExtension
from ouroboros.models import AggregateModel, ControlModel
from ouroboros.securityhub.collect_controls import controls_collect
from tests.emulator.securityhub_samples import FakeRuntime
from tests.reliability.faults import FaultInjector
from tests.reliability.stages import stage_enter

pytestmark = pytest.mark.functional


@pytest.fixture
def local_securityhub(
    faults: FaultInjector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultInjector]:
    runtime = FakeRuntime(tmp_path)
    extension = SecurityHubExtension()
    extension.start(runtime)  # type: ignore[arg-type]
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SECURITYHUB", runtime.published["securityhub"])
        yield faults
    finally:
        extension.stop()


def snapshot() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, int]]]:
    controls = sorted(
        (c.control_id, c.kind, str(c.status)) for c in ControlModel.scan(consistent_read=True)
    )
    counters = sorted((a.aggregate_id, a.bucket, int(a.total or 0)) for a in AggregateModel.scan())
    return controls, counters


def in_stage(monkeypatch: pytest.MonkeyPatch, stage: str, run: Callable[[], Any]) -> Any:
    stage_enter(monkeypatch, stage)
    run()
    return snapshot()


def _securityhub_calls(faults: FaultInjector) -> list[str]:
    return sorted({op for service, op in faults.sent if service == "securityhub"})


def test_throttling_on_every_controls_collector_call_collects_the_same(
    local_securityhub: FaultInjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = local_securityhub
    faults.sent.clear()
    expected = in_stage(monkeypatch, "base", lambda: controls_collect())
    calls = _securityhub_calls(faults)
    assert "GetEnabledStandards" in calls and "DescribeStandardsControls" in calls
    assert len(expected[0]) > 290  # the AFSBP catalog's controls and their memberships
    dynamodb = sorted({op for service, op in faults.sent if service == "dynamodb"})
    injected = [faults.throttle("securityhub", op, times=2) for op in calls]
    injected += [
        faults.throttle("dynamodb", op, times=2)
        for op in dynamodb
        if op not in ("CreateTable", "DescribeTable", "UpdateTimeToLive", "ListTables")
    ]
    got = in_stage(monkeypatch, "faulty", lambda: controls_collect())
    assert [f.injected for f in injected] == [2] * len(injected)
    assert got == expected
