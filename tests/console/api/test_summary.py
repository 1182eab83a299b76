"""GET /api/v1/summary returns the dashboard numbers from DynamoDB (DynamoDB Local here)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ouroboros.aggregates import aggregate_add
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
    archived = principals["viewer"].client.get("/api/v1/summary?record_state=ARCHIVED").json()
    assert archived["findings_by_severity"] == {"LOW": 3}
