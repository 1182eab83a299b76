"""Ended executions feed the dashboard: ``executions#day`` per outcome, ``executions#mttr`` and
the time-to-remediate histogram ``executions#ttr``.

Uses the real AFSBP S3.2 sample (tests/events/SOURCES.md). Without the counting in
`execution_record` the dashboard's remediation and MTTR charts stay empty in real runs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ouroboros.aggregates import aggregate_read
from ouroboros.aggregates.remediation import ttr_bucket
from ouroboros.executions.services import execution_id_new, execution_record
from ouroboros.securityhub.asff import asff_parse
from tests.conftest import load_event

pytestmark = pytest.mark.functional


def _finding():  # type: ignore[no-untyped-def]
    raw = load_event("asff_findings/asr_afsbp_s3.2.json")
    return asff_parse(raw["Findings"][0] if "Findings" in raw else raw)


def test_a_remediation_counts_once_per_day_and_adds_its_time(moto_aws: None) -> None:
    finding = _finding()
    execution_id = execution_id_new()
    finished = "2026-11-20T10:00:00.000Z"
    execution_record(finding=finding, execution_id=execution_id, status="running")
    for _ in range(2):  # the same ending written twice counts once
        execution_record(
            finding=finding, execution_id=execution_id, status="succeeded", finished_at=finished
        )
    assert aggregate_read("executions#day") == {"2026-11-20#fixed": 1}
    observed = datetime.fromisoformat(
        (finding.first_observed_at or finding.created_at).replace("Z", "+00:00")
    )
    expected = int((datetime(2026, 11, 20, 10, tzinfo=UTC) - observed).total_seconds())
    assert aggregate_read("executions#mttr") == {
        "2026-11-20#seconds": max(0, expected),
        "2026-11-20#count": 1,
    }
    assert aggregate_read("executions#ttr") == {f"2026-11-20#b{ttr_bucket(max(0, expected))}": 1}


def test_dry_runs_rollbacks_skips_and_failures_count_apart_from_fixes_without_mttr(
    moto_aws: None,
) -> None:
    finding = _finding()
    day = "2026-11-21"
    at = f"{day}T08:00:00.000Z"
    execution_record(finding=finding, status="succeeded", dry_run=True, finished_at=at)
    execution_record(finding=finding, status="succeeded", trigger="rollback", finished_at=at)
    execution_record(finding=finding, status="failed", error="boom", finished_at=at)
    execution_record(finding=finding, status="skipped", skip_reason="off", finished_at=at)
    execution_record(finding=finding, status="running")
    assert aggregate_read("executions#day") == {
        f"{day}#dry_run": 1,
        f"{day}#rolled_back": 1,
        f"{day}#failed": 1,
        f"{day}#skipped": 1,
    }
    assert aggregate_read("executions#mttr") == {}
    assert aggregate_read("executions#ttr") == {}
