"""The executions' console action and page: the rollback (POST only, operator only, audited)
and the notifications page."""

from __future__ import annotations

from typing import Any

import pytest

from console.audit.models import AuditEntry
from console.executions import services
from tests.console.conftest import logged_in


@pytest.mark.django_db
def test_rollback_goes_through_the_core_service(monkeypatch: pytest.MonkeyPatch) -> None:
    class Done:
        execution_id, status = "2026-11-27T10:00:00.000Z#rb1", "pending"

    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(
        services, "execution_rollback_start", lambda **kw: seen.append(kw) or Done()
    )
    operator = logged_in("otto", "operator")
    execution = "2026-11-27T09:00:00.000Z%23abcd"
    assert operator.post(f"/executions/{execution}/rollback/").status_code == 302
    assert seen == [{"execution_id": "2026-11-27T09:00:00.000Z#abcd", "actor": "otto"}]
    assert (
        AuditEntry.objects.get(action="execution.rollback").after["rollback"] == Done.execution_id
    )


@pytest.mark.django_db
@pytest.mark.functional
def test_notifications_page_lists_deliveries_from_dynamodb_without_webhook_urls(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from ouroboros.config import reset_config
    from ouroboros.notify import delivery

    secret = "http://127.0.0.1:9/hook/SECRET-TOKEN-123"
    monkeypatch.setenv("OUROBOROS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OUROBOROS_SLACK_WEBHOOK_URL", secret)
    reset_config()
    monkeypatch.setattr(delivery, "channel_post", lambda *args, **kwargs: "delivered")
    message = {
        "execution_id": "2026-11-27T00:00:00.000Z#abcd",
        "status": "succeeded",
        "control_id": "S3.2",
        "account_id": "222222222222",
        "resource_id": "arn:aws:s3:::ouroboros-demo-public-222222222222",
        "reactor_id": "s3-public-read",
        "trigger": "event",
        "actor": "eventbridge",
    }
    delivery.notification_deliver(message=message)
    try:
        page = logged_in("vera", "viewer").get("/notifications/")
    finally:
        reset_config()
    html = page.content.decode()
    assert page.status_code == 200
    assert "ouroboros-demo-public-222222222222" in html and "slack: delivered" in html
    assert "/executions/2026-11-27T00:00:00.000Z" in html
    assert "SECRET-TOKEN-123" not in html
