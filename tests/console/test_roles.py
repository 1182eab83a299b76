"""Viewers read, operators change, anonymous users see the login page only; CSRF everywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from ouroboros.models import ControlModel
from tests.console.conftest import Seeded, seed_security_data
from tests.console.pages import read_urls, write_urls

pytestmark = pytest.mark.integration


def stored(control_id: str) -> tuple[Any, ...]:
    item = ControlModel.get(control_id, "CONTROL")
    return (item.version, item.reactor_id, item.mode, item.exemptions, item.updated_by)


def test_anonymous_users_are_sent_to_the_login_page_everywhere(seeded: Seeded, db: None) -> None:
    client = Client()
    login = reverse("login")

    for url in read_urls(seeded):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    for url, body in write_urls():
        response = client.post(url, body)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    page = client.get(login)
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()
    assert "Findings" not in page.content.decode()


def test_a_user_without_a_role_is_forbidden(seeded: Seeded, db: None) -> None:
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_user("nobody", password="x"))

    assert client.get(reverse("finding_list")).status_code == 403


@pytest.fixture
def fresh(ddb_tables: str) -> Seeded:
    return seed_security_data()


def test_a_viewer_cannot_post_any_form_and_nothing_is_written(
    fresh: Seeded, as_role: Callable[[str], Client]
) -> None:
    viewer = as_role("viewer")
    before = stored("S3.2")

    for url, body in write_urls():
        assert viewer.post(url, body).status_code == 403, url

    assert stored("S3.2") == before
    page = viewer.get(reverse("control_detail", args=["S3.2"])).content.decode()
    assert "configure-form" not in page and "exemption-form" not in page
    assert 'method="post"' not in page.replace('method="post" action="/logout/"', "")


def test_an_operator_can_post_every_form(fresh: Seeded, as_role: Callable[[str], Client]) -> None:
    operator = as_role("operator")
    (configure, configure_body), (add, add_body), _ = write_urls()

    assert operator.post(configure, configure_body).status_code == 302
    add_body = {**add_body, "version": "1"}
    assert operator.post(add, add_body).status_code == 302
    version, reactor, mode, exemptions, by = stored("S3.2")
    assert (version, reactor, mode, by) == (
        2,
        configure_body["reactor_id"],
        "auto",
        "operator-user",
    )
    [exemption] = exemptions
    remove = reverse("control_exemption_remove", args=["S3.2", exemption.exemption_id])
    assert operator.post(remove, {"version": "2"}).status_code == 302
    assert stored("S3.2")[3] is None


def test_posts_without_a_csrf_token_are_refused(
    fresh: Seeded, make_user: Callable[[str], Any]
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("operator"))
    before = stored("S3.2")

    for url, body in write_urls():
        assert client.post(url, body).status_code == 403, url

    assert stored("S3.2") == before
    page = client.get(reverse("control_detail", args=["S3.2"])).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 3


def test_remediate_now_appears_only_for_operators_when_the_workflow_is_available(
    seeded: Seeded, as_role: Callable[[str], Client]
) -> None:
    url = f"{reverse('finding_detail')}?id={seeded.hostile.finding_id}"
    operator, viewer = as_role("operator"), as_role("viewer")

    html = operator.get(url).content.decode()
    action = reverse("workflow:remediate", args=[seeded.hostile.finding_id])
    assert f'action="{action}"' in html and 'name="dry_run"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "remediate-form" not in viewer.get(url).content.decode()
    with override_settings(CONSOLE_REMEDIATE_ENABLED=False):
        assert "remediate-form" not in operator.get(url).content.decode()


def test_production_settings_use_secure_cookies(monkeypatch: Any) -> None:
    import importlib

    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DATABASE_URL", "postgres://ouroboros@127.0.0.1:5432/ouroboros")
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "console.example.org")
    production = importlib.import_module("console.settings.production")

    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert production.SESSION_COOKIE_HTTPONLY and production.CSRF_COOKIE_HTTPONLY
    assert production.SESSION_COOKIE_NAME.startswith("__Host-")
    assert production.CSRF_COOKIE_NAME.startswith("__Host-")
    assert production.SECURE_HSTS_SECONDS >= 31536000
    assert "script-src 'self'" in production.CONTENT_SECURITY_POLICY
