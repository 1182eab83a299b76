"""The dashboard reads aggregates; time to remediate is kept on write by `remediation_time_add`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ouroboros.aggregates import aggregate_add, aggregate_read
from ouroboros.aggregates.dashboard import dashboard_get
from ouroboros.aggregates.remediation import MTTR_AGGREGATE, remediation_time_add, ttr_bucket
from tests.findings_factory import (
    finding_from_asff,
    findings_write,
    sample_asff,
    sample_asffs,
    samples_write,
)

pytestmark = pytest.mark.integration


def test_dashboard_counts_match_the_findings_written(ddb_tables: str) -> None:
    s35 = sample_asff("asr_afsbp_s3.5.json")
    written = samples_write() + findings_write(
        [finding_from_asff(s35, Id=f"{s35['Id']}/{n}") for n in range(2)]
    )

    board = dashboard_get(today=date(2024, 5, 30))

    severity = dict(board.by_severity)
    for label in ("CRITICAL", "HIGH", "MEDIUM", "INFORMATIONAL"):
        assert severity[label] == len([f for f in written if f.severity_label == label])
    assert severity["LOW"] == 0
    assert [name for name, _ in board.by_severity][:5] == [
        "CRITICAL",
        "HIGH",
        "MEDIUM",
        "LOW",
        "INFORMATIONAL",
    ]
    compliance = dict(board.by_compliance)
    assert compliance["FAILED"] == len([f for f in written if f.compliance_status == "FAILED"])
    assert dict(board.by_workflow)["RESOLVED"] == 1
    assert dict(board.by_account)["111111111111"] == len(
        [f for f in written if f.account_id == "111111111111"]
    )
    assert board.controls_basis == "failed"
    assert "S3.2" not in dict(board.top_controls)  # its sample PASSED
    assert board.top_controls[0] == ("S3.5", 3)
    assert len(board.top_controls) == 10
    assert board.totals["findings_active"] == len(sample_asffs()) + 2


def test_remediations_per_day_and_time_to_remediate_over_the_window(ddb_tables: str) -> None:
    today = date(2024, 5, 30)
    aggregate_add(
        "executions#day",
        {
            "2024-05-29#fixed": 3,
            "2024-05-29#failed": 1,
            "2024-05-30#skipped": 2,
            "2024-03-01#fixed": 50,  # outside the 30-day window
        },
    )
    observed = datetime(2024, 5, 29, 8, 0, tzinfo=UTC)
    assert (
        remediation_time_add(observed_at=observed, remediated_at=observed + timedelta(hours=2))
        == 7200
    )
    remediation_time_add(observed_at=observed, remediated_at=observed + timedelta(hours=4))
    remediation_time_add(
        observed_at=datetime(2024, 1, 1, tzinfo=UTC), remediated_at=datetime(2024, 2, 1, tzinfo=UTC)
    )

    board = dashboard_get(today=today, days=30)

    assert len(board.remediations) == 30
    assert board.remediations[-1].day == today
    by_day = {d.day: d.by_outcome for d in board.remediations}
    assert by_day[date(2024, 5, 29)] == {"fixed": 3, "failed": 1}
    assert by_day[date(2024, 5, 30)] == {"skipped": 2}
    assert board.outcomes == {"fixed": 3, "failed": 1, "skipped": 2} and board.fixed == 3
    assert board.ttr_count == 2
    assert board.ttr_median_seconds is not None
    assert ttr_bucket(board.ttr_median_seconds) == ttr_bucket(2 * 3600)
    assert aggregate_read(MTTR_AGGREGATE)["2024-05-29#count"] == 2
    per_day = {d.day: d for d in board.remediations}
    assert per_day[date(2024, 5, 29)].fixed_count == 2
    assert per_day[date(2024, 5, 30)].median_seconds is None  # runs that day fixed nothing


def test_top_controls_fall_back_to_all_findings_when_failed_is_not_kept(ddb_tables: str) -> None:
    aggregate_add("findings#control", {"ACTIVE#S3.2": 5, "ACTIVE#EC2.2": 7, "ARCHIVED#S3.2": 9})

    board = dashboard_get()

    assert board.controls_basis == "all"
    assert board.top_controls == [("EC2.2", 7), ("S3.2", 5)]
    assert board.ttr_median_seconds is None
