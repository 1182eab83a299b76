"""The dashboard reads aggregates and the controls and reactors (Queries only), and draws
remediations by outcome and the median time to remediate per day."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import botocore.client
import pytest
from django.test import Client
from django.urls import reverse

from console.findings.templatetags.console_query import duration
from ouroboros.aggregates import aggregate_add
from ouroboros.aggregates.remediation import remediation_time_add, ttr_bucket, ttr_quantile
from ouroboros.models import AggregateModel, ControlModel, HubReactorModel, LocalReactorModel
from tests.console.conftest import seed_security_data

pytestmark = pytest.mark.integration


@pytest.fixture
def table_calls() -> Iterator[list[tuple[str, str]]]:
    """(operation, table) of every AWS call made while the test runs."""
    calls: list[tuple[str, str]] = []
    real = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append((operation, str(params.get("TableName"))))
        return real(self, operation, params)

    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", record):
        yield calls


def test_dashboard_counts_come_from_queries_and_the_median_is_drawn_per_day(
    ddb_tables: str, as_role: Callable[[str], Client], table_calls: list[tuple[str, str]]
) -> None:
    seeded = seed_security_data()
    now = datetime.now(UTC)
    yesterday = now - timedelta(days=1)
    aggregate_add(
        "executions#day",
        {f"{yesterday:%Y-%m-%d}#fixed": 2, f"{yesterday:%Y-%m-%d}#skipped": 31},
    )
    for hours in (2, 6):  # yesterday's median: 2 h (the lower of two)
        remediation_time_add(
            observed_at=yesterday - timedelta(hours=hours), remediated_at=yesterday
        )
    viewer = as_role("viewer")
    del table_calls[:]

    html = viewer.get(reverse("home")).content.decode()

    assert table_calls and {op for op, _ in table_calls} == {"Query"}
    assert {table for _, table in table_calls} == {
        AggregateModel.Meta.table_name,
        ControlModel.Meta.table_name,  # exemptions, severities, coverage
        LocalReactorModel.Meta.table_name,  # coverage
        HubReactorModel.Meta.table_name,  # coverage
    }
    # The controls are read once (a page of a few hundred items) for the exemptions, the
    # severities and the coverage: the coverage does not read them again.
    assert table_calls.count(("Query", ControlModel.Meta.table_name)) == 1
    active = len(seeded.findings)
    assert f'<span class="value" id="count-findings-active">{active}</span>' in html
    assert '<span class="value" id="count-fixed">2</span>' in html  # not 33
    assert '<span id="count-skipped">31</span> skipped' in html
    assert 'id="chart-mttr"' in html
    # The page shows the histogram's estimates (their accuracy: test_dashboard_numbers).
    histogram = {ttr_bucket(2 * 3600): 1, ttr_bucket(6 * 3600): 1}
    median, p90 = ttr_quantile(histogram, 0.5), ttr_quantile(histogram, 0.9)
    assert median is not None and p90 is not None
    assert '<rect class="mttr"' in html
    assert f"{yesterday:%Y-%m-%d}: {median / 3600:.1f} h median, 2 fixed" in html
    assert html.count('<rect class="mttr"') == 1  # the other days fixed nothing
    assert f'<span class="value" id="ttr-median">{duration(median)}</span>' in html
    assert f'<span id="ttr-p90">{duration(p90)}</span>' in html
    assert duration(median).startswith(("1 h", "2 h")) and duration(p90).startswith(("5 h", "6 h"))
    assert 'id="chart-controls"' in html and "Top failing controls" in html
