"""GET /api/v1/audit: the audit trail for admins, by cursor."""

from __future__ import annotations

import pytest

from console.audit.services import audit_record
from tests.console.api.conftest import Principal, assert_problem

pytestmark = [pytest.mark.django_db, pytest.mark.functional]


def test_admins_page_through_the_trail(principals: dict[str, Principal]) -> None:
    for i in range(5):
        audit_record(action="control.configure", target_type="control", target_id=f"S3.{i}")
    client = principals["admin_read_token"].client
    first = client.get("/api/v1/audit?action=control.configure&limit=3").json()
    assert [e["target_id"] for e in first["results"]] == ["S3.4", "S3.3", "S3.2"]
    second = client.get(
        f"/api/v1/audit?action=control.configure&limit=3&cursor={first['next_cursor']}"
    ).json()
    assert [e["target_id"] for e in second["results"]] == ["S3.1", "S3.0"]
    assert second["next_cursor"] is None
    tokens = client.get("/api/v1/audit?target_type=api_token").json()["results"]
    assert {e["action"] for e in tokens} == {"api_token.create"}
    assert all("digest" not in str(e) and "ouro_" not in str(e) for e in tokens)


def test_operators_cannot_read_the_trail(principals: dict[str, Principal]) -> None:
    body = assert_problem(principals["write_token"].client.get("/api/v1/audit"), 403)
    assert "admin role" in body["detail"]
