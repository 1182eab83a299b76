"""Styled 403 / 404 / 500 pages, the API docs for people in browsers, the admin's user roles,
and the console's one time format (``|utc``)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from console.findings.templatetags.console_time import utc_text
from tests.console.conftest import logged_in

ROOT = Path(__file__).resolve().parents[2]
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.django_db
def test_403_and_404_are_console_pages_and_500_renders_without_a_request_context() -> None:
    viewer = logged_in("vera", "viewer")

    refused = viewer.get("/tokens/")
    missing = viewer.get("/no-such-page/")
    broken = server_error(RequestFactory().get("/"))

    assert refused.status_code == 403 and 'id="error-403"' in refused.content.decode()
    assert "Your role (viewer)" in refused.content.decode()
    assert missing.status_code == 404 and 'id="error-404"' in missing.content.decode()
    assert 'href="/findings/"' in missing.content.decode()  # the console's navigation
    assert broken.status_code == 500 and b'id="error-500"' in broken.content
    assert b"console.css" in broken.content


@pytest.mark.django_db
def test_api_docs_send_people_to_login_and_keep_json_for_clients() -> None:
    anonymous = Client()

    person = anonymous.get("/api/docs/", HTTP_ACCEPT=HTML)
    client = anonymous.get("/api/docs/")  # no Accept: an API client
    schema = anonymous.get("/api/v1/findings", HTTP_ACCEPT=HTML)

    assert person.status_code == 302 and person["Location"] == "/login/?next=/api/docs/"
    assert client.status_code == 401 and client["Content-Type"].startswith("application/")
    assert schema.status_code == 401  # the API itself answers as an API
    assert logged_in("vera", "viewer").get("/api/docs/", HTTP_ACCEPT=HTML).status_code == 200


@pytest.mark.django_db
def test_the_admin_user_list_shows_each_users_role() -> None:
    boss = User.objects.create_superuser(username="boss", password="pw-boss-123")
    for name, role in (("olga", "operator"), ("vic", "viewer")):
        User.objects.create_user(username=name).groups.add(
            Group.objects.get_or_create(name=role)[0]
        )
    User.objects.create_user(username="nobody")
    admin = Client()
    admin.force_login(boss)

    html = admin.get("/admin/auth/user/").content.decode()

    assert "column-role" in html
    for username, role in (("olga", "operator"), ("vic", "viewer"), ("nobody", "no role")):
        row = html.split(f">{username}</a>")[1].split("</tr>")[0]
        assert f'<td class="field-role">{role}</td>' in row, username


def test_every_time_shows_in_one_utc_format() -> None:
    paris = timezone(timedelta(hours=2))

    assert utc_text("2026-12-07T05:43:12.000Z") == "2026-12-07 05:43 UTC"
    assert utc_text("2026-12-07T07:43:12+02:00") == "2026-12-07 05:43 UTC"
    assert utc_text(datetime(2026, 12, 7, 7, 43, 59, tzinfo=paris)) == "2026-12-07 05:43 UTC"
    assert utc_text(datetime(2026, 12, 7, 5, 43), "s") == "2026-12-07 05:43:00 UTC"  # naive: UTC
    assert utc_text(datetime(2026, 12, 7, 5, 43, 9, tzinfo=UTC), "s") == "2026-12-07 05:43:09 UTC"
    assert utc_text(date(2026, 12, 7)) == "2026-12-07"
    assert utc_text(None) == utc_text("") == "—"
    assert utc_text("not a time") == "not a time"


def test_no_template_formats_a_time_of_its_own() -> None:
    """Every console template shows times through ``|utc``: Django's ``date``/``time`` filters
    would each pick a format (and the zone) of their own."""
    own = [
        f"{path.relative_to(ROOT)}: {line.strip()[:80]}"
        for path in sorted((ROOT / "console").rglob("*.html"))
        for line in path.read_text().splitlines()
        if re.search(r"\|\s*(date|time)\s*:", line)
    ]
    assert own == []
