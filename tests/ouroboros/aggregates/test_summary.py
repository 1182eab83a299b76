"""The dashboard summary reads the aggregates (one Query each) and reshapes them."""

from __future__ import annotations

from datetime import date

import pytest

from ouroboros.aggregates import aggregate_add
from ouroboros.aggregates.summary import summary_get
from ouroboros.controls.services import control_catalog_upsert
from ouroboros.errors import ValidationError
from ouroboros.securityhub.catalog import catalog_controls

pytestmark = pytest.mark.functional

TODAY = date(2026, 3, 10)


def _seed() -> None:
    control_catalog_upsert(controls=catalog_controls()[:5])
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


def test_an_empty_store_gives_zeros(moto_aws: None) -> None:
    summary = summary_get(today=TODAY)
    assert (summary.controls, summary.findings_active, summary.executions) == (0, 0, [])


@pytest.mark.parametrize(("state", "days"), [("DELETED", 7), ("ACTIVE", 0), ("ACTIVE", 91)])
def test_bad_arguments_are_rejected(state: str, days: int) -> None:
    with pytest.raises(ValidationError):
        summary_get(record_state=state, days=days, today=TODAY)
