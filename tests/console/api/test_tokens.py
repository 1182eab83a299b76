"""API tokens: stored hashed, shown once, scoped, expiring, revocable, never logged."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from console.audit.models import AuditEntry
from console.tokens.models import ApiToken
from console.tokens.services import api_token_create, api_token_revoke, api_token_touch
from console.tokens.token_codec import token_digest, token_matches
from ouroboros.errors import ConflictError, ValidationError
from tests.console.api.conftest import Principal, assert_problem, bearer

pytestmark = [pytest.mark.django_db, pytest.mark.functional]


def test_only_a_keyed_digest_is_stored(users: dict[str, Any]) -> None:
    created = api_token_create(user=users["opal"], name="ci", scope="read")
    token = ApiToken.objects.get(pk=created.token.pk)
    assert created.secret.startswith(f"ouro_{token.prefix}_")
    assert len(created.secret) == len("ouro_") + 12 + 1 + 43
    stored = " ".join(str(v) for v in ApiToken.objects.values_list().get(pk=token.pk))
    assert created.secret not in stored
    assert created.secret.split("_", 2)[2] not in stored
    assert token.digest == token_digest(created.secret)
    assert token_matches(created.secret, token.digest)
    assert not token_matches(created.secret + "x", token.digest)


def test_a_rotated_secret_key_keeps_tokens_valid_through_fallbacks(
    users: dict[str, Any], settings: Any
) -> None:
    created = api_token_create(user=users["opal"], name="ci", scope="read")
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-" + "x" * 40
    assert bearer(created.secret).get("/api/v1/tokens").status_code == 401
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert bearer(created.secret).get("/api/v1/tokens").status_code == 200


def test_create_through_the_api_shows_the_secret_once(principals: dict[str, Principal]) -> None:
    client = principals["write_token"].client
    response = client.post(
        "/api/v1/tokens", {"name": "pipeline", "scope": "write"}, content_type="application/json"
    )
    assert response.status_code == 201
    secret = response.json()["token"]
    assert bearer(secret).get("/api/v1/tokens").status_code == 200
    listing = client.get("/api/v1/tokens").content.decode()
    assert "pipeline" in listing and secret not in listing
    assert "token" not in client.get("/api/v1/tokens").json()["results"][0]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ouro_000000000000_" + "A" * 43,  # well-formed, unknown
        "Bearer not-a-token",
        "Bearer ",
        "Bearer a b",
        "bearer ouro_000000000000_" + "A" * 43,
    ],
)
def test_unknown_or_malformed_tokens_get_401(header: str, users: dict[str, Any]) -> None:
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/summary")
    body = assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "ouro_" not in body["detail"]


def test_revoked_and_expired_tokens_get_401_never_403(
    principals: dict[str, Principal], users: dict[str, Any]
) -> None:
    revoked = principals["write_token"]
    assert revoked.client.get("/api/v1/tokens").status_code == 200
    api_token_revoke(token_id=revoked.token.pk)  # type: ignore[union-attr]
    for method in ("get", "post", "delete"):
        response = getattr(revoked.client, method)("/api/v1/tokens")
        assert response.status_code in (401, 405)
        if response.status_code != 405:
            assert_problem(response, 401)
    assert_problem(revoked.client.get("/api/v1/audit"), 401)

    expired = api_token_create(user=users["ada"], name="old", scope="write", expires_days=1)
    ApiToken.objects.filter(pk=expired.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert_problem(bearer(expired.secret).get("/api/v1/audit"), 401)
    assert_problem(
        bearer(expired.secret).post(
            "/api/v1/tokens", {"name": "x", "scope": "read"}, content_type="application/json"
        ),
        401,
    )


def test_a_token_of_an_inactive_user_gets_401(principals: dict[str, Principal]) -> None:
    owner = principals["write_token"].user
    owner.is_active = False
    owner.save()
    assert_problem(principals["write_token"].client.get("/api/v1/tokens"), 401)


def test_a_read_token_changes_nothing(principals: dict[str, Principal]) -> None:
    reader = principals["read_token"]
    target = principals["write_token"].token
    before = (ApiToken.objects.count(), AuditEntry.objects.count())
    attempts = [
        reader.client.post(
            "/api/v1/tokens", {"name": "more", "scope": "write"}, content_type="application/json"
        ),
        reader.client.delete(f"/api/v1/tokens/{target.pk}"),  # type: ignore[union-attr]
        reader.client.delete(f"/api/v1/tokens/{reader.token.pk}"),  # type: ignore[union-attr]
    ]
    for response in attempts:
        body = assert_problem(response, 403)
        assert "read scope" in body["detail"]
    assert (ApiToken.objects.count(), AuditEntry.objects.count()) == before
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0


def test_a_write_token_acts_with_its_owners_role(principals: dict[str, Principal]) -> None:
    response = principals["viewer_write_token"].client.post(
        "/api/v1/tokens", {"name": "x", "scope": "read"}, content_type="application/json"
    )
    assert "operator role" in assert_problem(response, 403)["detail"]


def test_tokens_list_shows_only_the_callers_tokens(principals: dict[str, Principal]) -> None:
    names = {
        t["name"] for t in principals["read_token"].client.get("/api/v1/tokens").json()["results"]
    }
    assert names == {"read_token", "write_token"}  # opal's, not vera's nor ada's


def test_revoking_someone_elses_token_is_404(principals: dict[str, Principal]) -> None:
    theirs = principals["admin_read_token"].token
    response = principals["write_token"].client.delete(f"/api/v1/tokens/{theirs.pk}")  # type: ignore[union-attr]
    assert_problem(response, 404)
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None  # type: ignore[union-attr]


def test_revoking_is_idempotent_and_audited_once(principals: dict[str, Principal]) -> None:
    writer = principals["write_token"]
    target = api_token_create(user=writer.user, name="short-lived", scope="read").token
    for _ in range(2):
        assert writer.client.delete(f"/api/v1/tokens/{target.pk}").status_code == 204
    entries = AuditEntry.objects.filter(action="api_token.revoke", target_id=str(target.pk))
    assert entries.count() == 1
    entry = entries.get()
    assert entry.actor_name == "opal" and entry.token_name == "write_token" and entry.via == "api"
    assert entry.before["revoked_at"] is None and entry.after["revoked_at"]


def test_token_creation_is_audited_without_the_secret(principals: dict[str, Principal]) -> None:
    response = principals["write_token"].client.post(
        "/api/v1/tokens",
        {"name": "deploy", "scope": "read", "expires_days": 30},
        content_type="application/json",
        HTTP_X_REQUEST_ID="pipeline-run-42",
    )
    secret = response.json()["token"]
    entry = AuditEntry.objects.get(action="api_token.create", target_id=str(response.json()["id"]))
    assert entry.actor_name == "opal" and entry.token_name == "write_token"
    assert entry.request_id == "pipeline-run-42" and entry.ip == "127.0.0.1"
    assert entry.after["name"] == "deploy" and entry.after["scope"] == "read"
    dumped = str(AuditEntry.objects.values_list())
    assert secret not in dumped and secret.split("_", 2)[2] not in dumped


def test_a_token_minted_by_a_token_cannot_outlive_it(users: dict[str, Any]) -> None:
    parent = api_token_create(user=users["opal"], name="parent", scope="write", expires_days=2)
    response = bearer(parent.secret).post(
        "/api/v1/tokens", {"name": "child", "scope": "read"}, content_type="application/json"
    )
    child = ApiToken.objects.get(pk=response.json()["id"])
    assert child.expires_at == parent.token.expires_at
    response = bearer(parent.secret).post(
        "/api/v1/tokens",
        {"name": "child-2", "scope": "read", "expires_days": 400},
        content_type="application/json",
    )
    assert ApiToken.objects.get(pk=response.json()["id"]).expires_at == parent.token.expires_at


def test_duplicate_active_names_conflict_and_bad_input_is_rejected(users: dict[str, Any]) -> None:
    api_token_create(user=users["opal"], name="ci", scope="read")
    with pytest.raises(ConflictError):
        api_token_create(user=users["opal"], name="ci", scope="write")
    assert ApiToken.objects.filter(name="ci").count() == 1
    for bad in (
        {"name": "", "scope": "read"},
        {"name": "x" * 101, "scope": "read"},
        {"name": "tab\there", "scope": "read"},
        {"name": "ok", "scope": "admin"},
        {"name": "ok", "scope": "read", "expires_days": 0},
    ):
        with pytest.raises(ValidationError):
            api_token_create(user=users["opal"], **bad)
    assert ApiToken.objects.count() == 1


def test_revoked_names_can_be_reused(users: dict[str, Any]) -> None:
    first = api_token_create(user=users["opal"], name="ci", scope="read")
    api_token_revoke(token_id=first.token.pk)
    second = api_token_create(user=users["opal"], name="ci", scope="read")
    assert second.token.pk != first.token.pk


def test_last_used_is_recorded_at_most_once_a_minute(principals: dict[str, Principal]) -> None:
    reader = principals["read_token"]
    token = reader.token
    assert token is not None and token.last_used_at is None
    reader.client.get("/api/v1/tokens")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    reader.client.get("/api/v1/tokens")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    stale = ApiToken.objects.get(pk=token.pk)
    assert api_token_touch(token=stale, now=first + timedelta(seconds=30)) is False
    assert api_token_touch(token=stale, now=first + timedelta(seconds=61)) is True
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first + timedelta(seconds=61)


def test_tokens_never_reach_the_logs(
    users: dict[str, Any], caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "2/minute", "user": None, "anon": None},
    }
    caplog.set_level(logging.DEBUG)
    out = io.StringIO()
    call_command(
        "api_token",
        "create",
        "--user",
        "opal",
        "--scope",
        "write",
        stdout=out,
        stderr=io.StringIO(),
    )
    secret = out.getvalue().strip()
    client = bearer(secret)
    client.get("/api/v1/summary?days=0")  # 400
    client.get("/api/v1/audit")  # 403
    client.get("/api/v1/tokens")
    client.get("/api/v1/tokens")  # 429
    client.post("/api/v1/tokens", "{not json", content_type="application/json")
    api_token_revoke(token_id=ApiToken.objects.get(prefix=secret[5:17]).pk)
    client.get("/api/v1/tokens")  # 401
    Client(HTTP_AUTHORIZATION=f"Bearer {secret}x").get("/api/v1/tokens")
    assert caplog.records, "nothing was logged: the check would prove nothing"
    logged = "\n".join(
        f"{r.getMessage()} {r.args} {getattr(r, 'request', '')} {r.exc_text or ''}"
        for r in caplog.records
    )
    assert secret.split("_", 2)[2] not in logged
    assert "ouro_" not in logged  # not even the public prefix


def test_command_creates_lists_and_revokes(users: dict[str, Any]) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "api_token",
        "create",
        "--user",
        "opal",
        "--scope",
        "read",
        "--name",
        "nightly",
        "--expires-days",
        "7",
        stdout=out,
        stderr=err,
    )
    secret = out.getvalue().strip()
    assert secret.startswith("ouro_") and "\n" not in secret
    assert "nightly" in err.getvalue() and secret not in err.getvalue()
    token = ApiToken.objects.get(name="nightly")
    assert token.scope == "read" and token.expires_at is not None
    assert bearer(secret).get("/api/v1/tokens").status_code == 200
    listing = io.StringIO()
    call_command("api_token", "list", stdout=listing)
    assert "nightly" in listing.getvalue() and secret not in listing.getvalue()
    call_command(
        "api_token", "revoke", "--id", str(token.pk), stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert bearer(secret).get("/api/v1/tokens").status_code == 401
    entries = AuditEntry.objects.filter(target_id=str(token.pk)).order_by("id")
    assert [(e.action, e.via, e.actor_name) for e in entries] == [
        ("api_token.create", "cli", "manage.py"),
        ("api_token.revoke", "cli", "manage.py"),
    ]
    with pytest.raises(CommandError):
        call_command("api_token", "create", "--user", "ghost", "--scope", "read")
    with pytest.raises(CommandError):
        call_command("api_token", "revoke", "--id", "999999")
