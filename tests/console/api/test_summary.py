"""GET /api/v1/summary returns the dashboard numbers from DynamoDB (DynamoDB Local here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ouroboros.aggregates import aggregate_add
from ouroboros.aggregates.remediation import remediation_time_add
from tests.console.api.conftest import Principal

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def test_summary_over_dynamodb_local(ddb_tables: str, principals: dict[str, Principal]) -> None:
    today = datetime.now(UTC).date().isoformat()
    aggregate_add("controls", {"total": 290})
    aggregate_add("findings#state", {"ACTIVE": 12, "ARCHIVED": 3})
    aggregate_add("findings#severity", {"ACTIVE#CRITICAL": 4, "ACTIVE#LOW": 8, "ARCHIVED#LOW": 3})
    aggregate_add("executions#day", {f"{today}#SUCCEEDED": 2})
    response = principals["read_token"].client.get("/api/v1/summary")
    assert response.status_code == 200
    body = response.json()
    assert body["controls"] == 290
    assert (body["findings_active"], body["findings_archived"]) == (12, 3)
    assert body["findings_by_severity"] == {"CRITICAL": 4, "LOW": 8}
    assert body["executions"] == [{"day": today, "total": 2, "by_status": {"SUCCEEDED": 2}}]
    assert body["time_to_remediate"] == {"median_seconds": None, "p90_seconds": None, "count": 0}
    remediation_time_add(
        observed_at=datetime.now(UTC) - timedelta(hours=2), remediated_at=datetime.now(UTC)
    )
    ttr = principals["read_token"].client.get("/api/v1/summary").json()["time_to_remediate"]
    assert ttr["count"] == 1 and 6000 < ttr["median_seconds"] < 8700
    archived = principals["viewer"].client.get("/api/v1/summary?record_state=ARCHIVED").json()
    assert archived["findings_by_severity"] == {"LOW": 3}
