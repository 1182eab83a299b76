"""Console actions of the workflow: POST only, operator only, audited, errors shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.messages import get_messages
from django.test import Client

from console.audit.models import AuditEntry
from console.workflow import services
from ouroboros.errors import NotFoundError

FINDING = (
    "arn:aws:securityhub:us-east-1:222222222222:subscription/"
    "aws-foundational-security-best-practices/v/1.0.0/S3.2/finding/abc"
)


def logged_in(username: str, role: str) -> Client:
    user = User.objects.create_user(username=username, password="x" * 12)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_an_operator_starts_a_dry_run_and_it_is_audited(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def start(**kwargs: Any) -> str:
        calls.append(kwargs)
        return "arn:aws:states:us-east-1:123456789012:execution:sm:manual-1"

    monkeypatch.setattr(services, "remediation_start", start)
    operator = logged_in("otto", "operator")
    response = operator.post(f"/findings/{FINDING}/remediate/", {"dry_run": "1", "next": "/x/"})
    assert response.status_code == 302 and response["Location"] == "/x/"
    assert calls == [{"finding_id": FINDING, "actor": "otto", "dry_run": True}]
    event = AuditEntry.objects.get(action="finding.remediate")
    assert (event.actor_name, event.target_type, event.target_id) == ("otto", "finding", FINDING)
    assert event.after["dry_run"] is True and event.via == "console"


@pytest.mark.django_db
def test_viewers_get_403_gets_405_and_errors_are_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(**kwargs: Any) -> str:
        raise NotFoundError("finding x not found in Security Hub")

    monkeypatch.setattr(services, "remediation_start", missing)
    assert logged_in("vera", "viewer").post(f"/findings/{FINDING}/remediate/").status_code == 403
    operator = logged_in("otto", "operator")
    assert operator.get(f"/findings/{FINDING}/remediate/").status_code == 405
    response = operator.post(f"/findings/{FINDING}/remediate/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"  # never off-site
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["finding x not found in Security Hub"]
    assert not AuditEntry.objects.filter(action="finding.remediate").exists()


@pytest.mark.django_db
def test_rollback_goes_through_the_core_service(monkeypatch: pytest.MonkeyPatch) -> None:
    class Done:
        execution_id, status = "2026-11-27T10:00:00.000Z#rb1", "succeeded"

    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(services, "execution_rollback", lambda **kw: seen.append(kw) or Done())
    operator = logged_in("otto", "operator")
    execution = "2026-11-27T09:00:00.000Z%23abcd"
    assert operator.post(f"/executions/{execution}/rollback/").status_code == 302
    assert seen == [{"execution_id": "2026-11-27T09:00:00.000Z#abcd", "actor": "otto"}]
    assert (
        AuditEntry.objects.get(action="execution.rollback").after["rollback"] == Done.execution_id
    )


@pytest.mark.django_db
def test_notifications_page_lists_deliveries_without_webhook_urls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
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
