"""Principals of the API tests: users of every role, and API tokens of every scope.

``principals`` maps a name to a ready `Client`:

- ``anonymous``; ``no_role`` (a user in no role group);
- ``viewer``, ``operator``, ``admin``: session logins;
- ``read_token`` / ``write_token``: tokens of the operator ``opal``;
- ``viewer_write_token``: a write token of the viewer ``vera`` (the role still limits it);
- ``admin_read_token``: a read token of the admin ``ada``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client

from console.tokens.models import ApiToken
from console.tokens.services import api_token_create

PRINCIPALS = (
    "anonymous",
    "no_role",
    "viewer",
    "operator",
    "admin",
    "read_token",
    "write_token",
    "viewer_write_token",
    "admin_read_token",
)
ROLE_OF_USER = {"nora": None, "vera": "viewer", "opal": "operator", "ada": "admin"}


@dataclass
class Principal:
    name: str
    client: Client
    user: Any = None
    token: ApiToken | None = None
    secret: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def make_user(django_user_model: Any, username: str, role: str | None) -> Any:
    user = django_user_model.objects.create_user(username=username, password=f"pw-{username}-1")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Throttle counters live in the cache and token ids repeat between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def users(django_user_model: Any) -> dict[str, Any]:
    return {name: make_user(django_user_model, name, role) for name, role in ROLE_OF_USER.items()}


@pytest.fixture
def principals(users: dict[str, Any]) -> dict[str, Principal]:
    result: dict[str, Principal] = {"anonymous": Principal("anonymous", Client())}
    for name, username in (
        ("no_role", "nora"),
        ("viewer", "vera"),
        ("operator", "opal"),
        ("admin", "ada"),
    ):
        client = Client()
        client.force_login(users[username])
        result[name] = Principal(name, client, user=users[username])
    for name, username, scope in (
        ("read_token", "opal", "read"),
        ("write_token", "opal", "write"),
        ("viewer_write_token", "vera", "write"),
        ("admin_read_token", "ada", "read"),
    ):
        created = api_token_create(user=users[username], name=name, scope=scope)
        result[name] = Principal(
            name,
            bearer(created.secret),
            user=users[username],
            token=created.token,
            secret=created.secret,
        )
    assert set(result) == set(PRINCIPALS)
    return result


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """``response`` is a problem-details response of ``status``; returns its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:ouroboros:problem:")
    assert body["title"] and isinstance(body["detail"], str)
    assert body["instance"] == response.wsgi_request.path
    assert body["request_id"] == response["X-Request-Id"]
    return body
