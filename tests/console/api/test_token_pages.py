"""Console pages of API tokens: admins manage all, operators their own; the secret is shown once;
revoking works."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from console.audit.models import AuditEntry
from console.tokens.models import ApiToken
from tests.console.api.conftest import bearer

pytestmark = [pytest.mark.django_db]


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_are_for_operators_and_admins(users: dict[str, Any]) -> None:
    assert Client().get("/tokens/").status_code == 302
    for username in ("nora", "vera"):
        client = _login(users[username])
        assert client.get("/tokens/").status_code == 403
        response = client.post(
            "/tokens/create", {"user": users[username].pk, "name": "x", "scope": "write"}
        )
        assert response.status_code == 403
    assert ApiToken.objects.count() == 0


def test_admin_creates_a_token_for_a_user_sees_it_once_and_revokes_it(
    users: dict[str, Any],
) -> None:
    client = _login(users["ada"])
    assert client.get("/tokens/").status_code == 200
    response = client.post(
        "/tokens/create",
        {"user": users["opal"].pk, "name": "nightly", "scope": "write", "expires_days": "30"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    secret = html.split('<code id="new-token">')[1].split("</code>")[0]
    token = ApiToken.objects.get(name="nightly")
    assert token.user == users["opal"] and token.scope == "write" and token.expires_at
    assert bearer(secret).get("/api/v1/tokens").status_code == 200
    listing = client.get("/tokens/").content.decode()
    assert "nightly" in listing and secret not in listing
    assert f"ouro_{token.prefix}_" in listing

    response = client.post(f"/tokens/{token.pk}/revoke")
    assert response.status_code == 302
    assert bearer(secret).get("/api/v1/tokens").status_code == 401
    entries = AuditEntry.objects.filter(target_id=str(token.pk)).order_by("id")
    assert [(e.action, e.via, e.actor_name) for e in entries] == [
        ("api_token.create", "console", "ada"),
        ("api_token.revoke", "console", "ada"),
    ]
    assert all(secret not in str(e.after) for e in entries)


def test_bad_input_redisplays_the_form_and_writes_nothing(users: dict[str, Any]) -> None:
    client = _login(users["ada"])
    response = client.post(
        "/tokens/create", {"user": users["opal"].pk, "name": "", "scope": "root"}
    )
    assert response.status_code == 400
    client.post("/tokens/create", {"user": users["opal"].pk, "name": "dup", "scope": "read"})
    response = client.post(
        "/tokens/create", {"user": users["opal"].pk, "name": "dup", "scope": "read"}
    )
    assert response.status_code == 409 and "exists already" in response.content.decode()
    assert ApiToken.objects.count() == 1
    assert client.get("/tokens/create").status_code == 405


def test_django_admin_lists_tokens_read_only(users: dict[str, Any], django_user_model: Any) -> None:
    client = _login(users["ada"])
    client.post("/tokens/create", {"user": users["opal"].pk, "name": "ci", "scope": "read"})
    token = ApiToken.objects.get()
    boss = django_user_model.objects.create_superuser(username="boss", password="pw-boss-123")
    admin = _login(boss)
    page = admin.get(f"/admin/tokens/apitoken/{token.pk}/change/")
    assert page.status_code == 200 and token.digest not in page.content.decode()
    assert admin.get("/admin/tokens/apitoken/").status_code == 200
    assert admin.get("/admin/tokens/apitoken/add/").status_code == 403
    assert (
        admin.post(f"/admin/tokens/apitoken/{token.pk}/delete/", {"post": "yes"}).status_code == 403
    )


def test_an_operator_creates_and_revokes_only_their_own_tokens(
    users: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    opal, ada = _login(users["opal"]), _login(users["ada"])
    ada.post("/tokens/create", {"user": users["ada"].pk, "name": "admins", "scope": "read"})
    theirs = ApiToken.objects.get(name="admins")

    # The owner field is ignored: an operator's token is always their own.
    response = opal.post(
        "/tokens/create", {"user": users["ada"].pk, "name": "mine", "scope": "write"}
    )
    secret = response.content.decode().split('<code id="new-token">')[1].split("</code>")[0]
    mine = ApiToken.objects.get(name="mine")
    listing = opal.get("/tokens/").content.decode()
    refused = opal.post(f"/tokens/{theirs.pk}/revoke")
    revoked = opal.post(f"/tokens/{mine.pk}/revoke")

    assert response.status_code == 200 and mine.user == users["opal"]
    assert f"token-{mine.pk}" in listing and f"token-{theirs.pk}" not in listing
    assert secret not in listing
    assert 'name="user"' not in listing
    assert refused.status_code == 302 and ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    assert revoked.status_code == 302 and ApiToken.objects.get(pk=mine.pk).revoked_at
    assert secret not in caplog.text
    assert 'id="nav-my-tokens"' in listing
