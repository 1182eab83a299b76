"""The dashboard reads aggregates only, and draws remediations and MTTR per day from them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import botocore.client
import pytest
from django.test import Client
from django.urls import reverse

from ouroboros.aggregates import aggregate_add
from ouroboros.aggregates.remediation import remediation_time_add
from ouroboros.models import AggregateModel
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


def test_dashboard_counts_come_from_aggregates_and_mttr_is_drawn_per_day(
    ddb_tables: str, as_role: Callable[[str], Client], table_calls: list[tuple[str, str]]
) -> None:
    seeded = seed_security_data()
    now = datetime.now(UTC)
    yesterday = now - timedelta(days=1)
    aggregate_add("executions#day", {f"{yesterday:%Y-%m-%d}#succeeded": 2})
    for hours in (2, 6):  # yesterday's MTTR: 4 h
        remediation_time_add(
            observed_at=yesterday - timedelta(hours=hours), remediated_at=yesterday
        )
    viewer = as_role("viewer")
    del table_calls[:]

    html = viewer.get(reverse("home")).content.decode()

    assert table_calls and {op for op, _ in table_calls} == {"Query"}
    assert {table for _, table in table_calls} == {AggregateModel.Meta.table_name}
    active = len(seeded.findings)
    assert f'<span class="value" id="count-findings-active">{active}</span>' in html
    assert 'id="chart-mttr"' in html
    assert '<rect class="mttr"' in html and f"{yesterday:%Y-%m-%d}: 4.0 h mean, 2 fixed" in html
    assert html.count('<rect class="mttr"') == 1  # the other days fixed nothing
    assert '<span class="value" id="mttr">4 h 0 min</span>' in html
    assert 'id="chart-controls"' in html and "Top failing controls" in html
