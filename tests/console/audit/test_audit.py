"""The audit trail: what `audit_record` stores, how it is read, who may read it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory

from console.audit.models import AuditEntry
from console.audit.selectors import audit_list
from console.audit.services import REDACTED, audit_record
from ouroboros.errors import ValidationError

pytestmark = pytest.mark.django_db


@dataclasses.dataclass
class _Control:
    control_id: str
    exemptions: set[str]
    updated_at: datetime


class _Token:
    pk = 42
    name = "pipeline"


def _user(django_user_model: Any, username: str, role: str | None) -> Any:
    user = django_user_model.objects.create_user(username=username, password=f"pw-{username}-1")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def test_record_takes_who_and_where_from_the_request(django_user_model: Any) -> None:
    user = _user(django_user_model, "opal", "operator")
    request = RequestFactory().post("/api/v1/controls/S3.1", REMOTE_ADDR="10.1.2.3")
    request.user = user
    request.auth = _Token()  # type: ignore[attr-defined]
    request.request_id = "req-1"  # type: ignore[attr-defined]
    before = _Control("S3.1", {"b", "a"}, datetime(2026, 1, 2, tzinfo=UTC))
    entry = audit_record(
        request=request,
        action="control.configure",
        target_type="control",
        target_id="S3.1",
        before=before,
        after={"mode": "auto", "reactor_id": "s3-block-public"},
    )
    entry.refresh_from_db()
    assert (entry.actor, entry.actor_name, entry.token_id, entry.token_name) == (
        user,
        "opal",
        42,
        "pipeline",
    )
    assert (entry.via, entry.request_id, entry.ip) == ("api", "req-1", "10.1.2.3")
    assert entry.before == {
        "control_id": "S3.1",
        "exemptions": ["a", "b"],
        "updated_at": "2026-01-02T00:00:00Z",
    }
    assert entry.after == {"mode": "auto", "reactor_id": "s3-block-public"}


def test_console_requests_and_commands(django_user_model: Any) -> None:
    request = RequestFactory().post("/controls/S3.1")
    request.user = _user(django_user_model, "ada", "admin")
    assert (
        audit_record(request=request, action="a", target_type="t", target_id="1").via == "console"
    )
    entry = audit_record(action="a", target_type="t", target_id="1", actor_name="manage.py")
    assert (entry.via, entry.actor, entry.actor_name, entry.ip) == ("cli", None, "manage.py", None)


def test_secrets_are_redacted_wherever_they_hide() -> None:
    entry = audit_record(
        action="reactor.configure",
        target_type="reactor",
        target_id="notify",
        after={
            "webhook_url": "https://hooks.example/T0/B0/xyz",
            "params": {"token": "abc", "slack_webhook_url": "https://x", "timeout": 5},
            "targets": [{"password": "p", "name": "n"}],
        },
    )
    entry.refresh_from_db()
    assert entry.after == {
        "webhook_url": REDACTED,
        "params": {"token": REDACTED, "slack_webhook_url": REDACTED, "timeout": 5},
        "targets": [{"password": REDACTED, "name": "n"}],
    }


def test_list_is_newest_first_by_cursor_with_filters() -> None:
    for i in range(7):
        audit_record(action=f"x.{i % 2}", target_type="t", target_id=str(i), actor_name="cli")
    first = audit_list(limit=3)
    assert [e.target_id for e in first.entries] == ["6", "5", "4"]
    second = audit_list(limit=3, cursor=first.next_cursor)
    third = audit_list(limit=3, cursor=second.next_cursor)
    assert [e.target_id for e in second.entries + third.entries] == ["3", "2", "1", "0"]
    assert third.next_cursor is None
    assert [e.target_id for e in audit_list(action="x.1").entries] == ["5", "3", "1"]
    assert audit_list(target_id="4").entries[0].action == "x.0"
    for bad in ("abc", "0", "-1"):
        with pytest.raises(ValidationError):
            audit_list(cursor=bad)
    with pytest.raises(ValidationError):
        audit_list(limit=0)


def test_audit_page_is_for_admins_only(django_user_model: Any) -> None:
    audit_record(action="api_token.create", target_type="api_token", target_id="7")
    assert Client().get("/audit/").status_code == 302
    for username, role in (("vera", "viewer"), ("opal", "operator")):
        client = Client()
        client.force_login(_user(django_user_model, username, role))
        assert client.get("/audit/").status_code == 403
    client = Client()
    client.force_login(_user(django_user_model, "ada", "admin"))
    response = client.get("/audit/")
    assert response.status_code == 200
    assert "api_token.create" in response.content.decode()
    assert client.get("/audit/?cursor=nope").status_code == 400


def test_audit_page_pages_with_the_filters_kept(django_user_model: Any) -> None:
    for i in range(60):
        audit_record(action="x", target_type="t", target_id=str(i))
    client = Client()
    client.force_login(_user(django_user_model, "ada", "admin"))
    html = client.get("/audit/?action=x").content.decode()
    assert 'id="audit-60"' in html and 'id="audit-10"' not in html
    assert "?cursor=11&amp;action=x" in html
    assert 'id="audit-10"' in client.get("/audit/?cursor=11&action=x").content.decode()


def test_django_admin_shows_the_trail_read_only(django_user_model: Any) -> None:
    entry = audit_record(action="x", target_type="t", target_id="1")
    boss = django_user_model.objects.create_superuser(username="boss", password="pw-boss-123")
    client = Client()
    client.force_login(boss)
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert (
        client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_request_ids_are_echoed_or_made() -> None:
    client = Client()
    assert client.get("/login/", HTTP_X_REQUEST_ID="ci-123")["X-Request-Id"] == "ci-123"
    made = client.get("/login/", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-Id"]
    assert len(made) == 32 and made.isalnum()
