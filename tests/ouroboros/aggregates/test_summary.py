"""The dashboard summary reads the aggregates (one Query each) and reshapes them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ouroboros.aggregates import aggregate_add
from ouroboros.aggregates.remediation import remediation_time_add
from ouroboros.aggregates.summary import summary_get
from ouroboros.errors import ValidationError
from ouroboros.securityhub.catalog import catalog_controls
from tests.control_catalog import catalog_loaded

pytestmark = pytest.mark.functional

TODAY = date(2026, 3, 10)


def _seed() -> None:
    catalog_loaded(controls=catalog_controls()[:5])
    aggregate_add("findings#state", {"ACTIVE": 7, "ARCHIVED": 2})
    aggregate_add(
        "findings#severity",
        {"ACTIVE#CRITICAL": 2, "ACTIVE#HIGH": 5, "ARCHIVED#LOW": 2, "ACTIVE#MEDIUM": 0},
    )
    aggregate_add("findings#compliance", {"ACTIVE#FAILED": 6, "ACTIVE#PASSED": 1})
    aggregate_add("findings#workflow", {"ACTIVE#NEW": 4, "ACTIVE#NOTIFIED": 3})
    aggregate_add("findings#account", {"ACTIVE#111111111111": 5, "ACTIVE#222222222222": 2})
    aggregate_add(
        "executions#day",
        {
            "2026-03-10#SUCCEEDED": 3,
            "2026-03-10#FAILED": 1,
            "2026-03-04#SUCCEEDED": 2,
            "2026-03-03#SUCCEEDED": 9,  # 8 days ago: outside a 7-day window
        },
    )
    aggregate_add("findings#severity", {"ACTIVE#CRITICAL": -2})  # went back to zero


def test_summary_reshapes_the_aggregates(moto_aws: None) -> None:
    _seed()
    summary = summary_get(days=7, today=TODAY)
    assert (summary.controls, summary.findings_active, summary.findings_archived) == (5, 7, 2)
    assert summary.findings_by["severity"] == {"HIGH": 5}  # zero buckets are left out
    assert summary.findings_by["compliance"] == {"FAILED": 6, "PASSED": 1}
    assert summary.findings_by["workflow"] == {"NEW": 4, "NOTIFIED": 3}
    assert summary.findings_by["account"] == {"111111111111": 5, "222222222222": 2}
    assert [(d.day.isoformat(), d.by_status, d.total) for d in summary.executions] == [
        ("2026-03-04", {"SUCCEEDED": 2}, 2),
        ("2026-03-10", {"FAILED": 1, "SUCCEEDED": 3}, 4),
    ]


def test_summary_of_archived_findings_and_a_longer_window(moto_aws: None) -> None:
    _seed()
    summary = summary_get(record_state="ARCHIVED", days=8, today=TODAY)
    assert summary.findings_by["severity"] == {"LOW": 2}
    assert summary.findings_by["compliance"] == {}
    assert summary.executions[0].day == date(2026, 3, 3)


def test_time_to_remediate_median_and_p90_over_the_window_only(moto_aws: None) -> None:
    fixed = datetime(2026, 3, 9, 12, tzinfo=UTC)
    for seconds in (60, 3600, 86400):  # three fixes inside a 7-day window
        remediation_time_add(observed_at=fixed - timedelta(seconds=seconds), remediated_at=fixed)
    old = datetime(2026, 3, 3, 12, tzinfo=UTC)  # 8 days ago: outside it, and slower than all
    remediation_time_add(observed_at=old - timedelta(days=400), remediated_at=old)
    ttr = summary_get(days=7, today=TODAY).ttr
    assert ttr is not None and ttr.count == 3
    width = 2 ** (1 / 4)  # one histogram bucket
    assert ttr.median_seconds is not None and 3600 / width < ttr.median_seconds <= 3600 * width
    assert ttr.p90_seconds is not None and 86400 / width < ttr.p90_seconds <= 86400 * width
    assert summary_get(days=8, today=TODAY).ttr.count == 4  # type: ignore[union-attr]


def test_an_empty_store_gives_zeros(moto_aws: None) -> None:
    summary = summary_get(today=TODAY)
    assert (summary.controls, summary.findings_active, summary.executions) == (0, 0, [])
    assert summary.ttr is not None and (summary.ttr.count, summary.ttr.median_seconds) == (0, None)


@pytest.mark.parametrize(("state", "days"), [("DELETED", 7), ("ACTIVE", 0), ("ACTIVE", 91)])
def test_bad_arguments_are_rejected(state: str, days: int) -> None:
    with pytest.raises(ValidationError):
        summary_get(record_state=state, days=days, today=TODAY)
