"""The console shell: login, roles, home counts from DynamoDB, security headers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django.test import Client

from console.access.roles import has_role, user_role
from console.access.services import admin_user_ensure
from ouroboros.aggregates import aggregate_add
from ouroboros.securityhub.catalog import catalog_controls
from tests.control_catalog import catalog_loaded

pytestmark = [pytest.mark.django_db, pytest.mark.functional]


@pytest.fixture
def viewer(django_user_model: type) -> object:
    user = django_user_model.objects.create_user(username="vera", password="pw-vera-123")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    return user


def test_role_groups_exist_after_migrations() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {"viewer", "operator", "admin"}


def test_anonymous_user_is_sent_to_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    login = client.get("/login/")
    assert login.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in login.content


def test_home_shows_counts_read_from_dynamodb(
    moto_aws: None, client: Client, viewer: object
) -> None:
    catalog_loaded(controls=catalog_controls()[:7])
    aggregate_add("findings#state", {"ACTIVE": 12, "ARCHIVED": 3})
    client.login(request=HttpRequest(), username="vera", password="pw-vera-123")  # axes
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="value" id="count-controls">7</span>' in html
    assert '<span class="value" id="count-findings-active">12</span>' in html
    assert '<span class="value" id="count-findings-archived">3</span>' in html


def test_user_without_a_role_is_forbidden(client: Client, django_user_model: type) -> None:
    django_user_model.objects.create_user(username="nobody", password="pw-nobody-1")
    client.login(request=HttpRequest(), username="nobody", password="pw-nobody-1")  # axes
    assert client.get("/").status_code == 403


def test_every_response_carries_the_content_security_policy(client: Client) -> None:
    policy = client.get("/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_roles_are_ordered(viewer: object, django_user_model: type) -> None:
    assert user_role(viewer) == "viewer"
    assert has_role(viewer, "viewer") and not has_role(viewer, "operator")
    boss = django_user_model.objects.create_superuser(username="boss", password="pw-boss-123")
    assert user_role(boss) == "admin" and has_role(boss, "operator")


def test_admin_password_is_generated_once(django_user_model: type) -> None:
    password = admin_user_ensure()
    assert password and len(password) >= 20
    assert django_user_model.objects.get(username="admin").check_password(password)
    assert admin_user_ensure() is None  # never shown twice
    assert admin_user_ensure(password="ignored-now") is None


def test_admin_password_from_the_environment_is_not_echoed(django_user_model: type) -> None:
    assert admin_user_ensure(password="chosen-pass-123") is None
    assert django_user_model.objects.get(username="admin").check_password("chosen-pass-123")
