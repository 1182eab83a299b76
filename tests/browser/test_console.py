"""A security team's day in a real Chromium: log in, filter, open, assign, collide."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from ouroboros.models import ControlModel
from tests.console.conftest import REACTOR, Seeded, seed_security_data

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def console(live_server: Any, ddb_tables: str, transactional_db: None) -> Iterator[Seeded]:
    for name, role in (("vera", "viewer"), ("otto", "operator"), ("olga", "operator")):
        user = User.objects.create_user(name, password=f"{name}-password-1")
        user.groups.add(Group.objects.get_or_create(name=role)[0])  # flushed between tests
    yield seed_security_data()


@pytest.fixture
def contexts(browser: Any) -> Iterator[Callable[[], Any]]:
    opened: list[Any] = []

    def new_page() -> Any:
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        opened.append(context)
        return context.new_page()

    yield new_page
    for context in opened:
        context.close()


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/")
    assert "/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-password-1")
    page.click("button[type=submit]")
    page.wait_for_selector("#count-findings-active")


def test_log_in_filter_findings_and_open_one(
    console: Seeded,
    live_server: Any,
    contexts: Callable[[], Any],
    screenshot: Callable[[Any, str], Path],
) -> None:
    page = contexts()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server.url, "vera")
    assert page.inner_text("#count-findings-active") == str(len(console.findings))
    assert page.locator("#chart-severity rect").count() > 0
    screenshot(page, "dashboard")

    page.click("nav >> text=Findings")
    page.select_option("#id_severity", "CRITICAL")
    page.click("#finding-filters button[type=submit]")
    page.wait_for_url("**/findings/?*severity=CRITICAL*")
    badges = page.locator("#findings-table tbody .badge").all_inner_texts()
    critical = [f for f in console.findings if f.severity_label == "CRITICAL"]
    assert badges == ["CRITICAL"] * len(critical)
    screenshot(page, "findings-critical")

    page.click("#findings-table tbody tr:first-child td.title a")
    page.wait_for_selector("#raw-asff")
    assert '"SchemaVersion": "2018-10-08"' in page.inner_text("#raw-asff")
    assert "CRITICAL" in page.inner_text("#finding-title")
    assert page.locator("#remediate-form").count() == 0
    screenshot(page, "finding-detail")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_operator_assigns_an_installed_reactor_to_a_control(
    console: Seeded,
    live_server: Any,
    contexts: Callable[[], Any],
    screenshot: Callable[[Any, str], Path],
) -> None:
    page = contexts()
    log_in(page, live_server.url, "otto")
    page.goto(f"{live_server.url}/controls/?q=public+read")
    page.click("#controls-table >> text=S3.2")
    page.wait_for_selector("#configure-form")

    page.select_option("#id_reactor_id", REACTOR)
    page.select_option("#id_mode", "auto")
    page.click("#configure-form button[type=submit]")

    page.wait_for_selector(".messages .success")
    assert page.inner_text("#current-reactor") == REACTOR
    assert page.inner_text("#current-mode") == "auto"
    stored = ControlModel.get("S3.2", "CONTROL")
    assert (stored.reactor_id, stored.mode, stored.updated_by) == (REACTOR, "auto", "otto")
    screenshot(page, "control-assigned")

    page.goto(f"{live_server.url}/controls/?reactor={REACTOR}")
    assert page.locator("#controls-table tbody tr").all_inner_texts()[0].startswith("S3.2")


def test_two_operators_editing_one_control_see_a_conflict_and_lose_nothing(
    console: Seeded,
    live_server: Any,
    contexts: Callable[[], Any],
    screenshot: Callable[[Any, str], Path],
) -> None:
    otto, olga = contexts(), contexts()
    log_in(otto, live_server.url, "otto")
    log_in(olga, live_server.url, "olga")
    url = f"{live_server.url}/controls/S3.5/"
    otto.goto(url)
    olga.goto(url)

    otto.select_option("#id_reactor_id", REACTOR)
    otto.select_option("#id_mode", "dry_run")
    otto.click("#configure-form button[type=submit]")
    otto.wait_for_selector(".messages .success")

    olga.select_option("#id_reactor_id", REACTOR)
    olga.select_option("#id_mode", "auto")
    olga.click("#configure-form button[type=submit]")
    olga.wait_for_selector("#conflict")

    message = olga.inner_text("#conflict")
    assert "changed by otto" in message
    assert "Stored now: reactor " + REACTOR in message and "mode dry_run" in message
    assert olga.input_value("#id_mode") == "auto"
    screenshot(olga, "conflict")
    stored = ControlModel.get("S3.5", "CONTROL")
    assert (stored.mode, stored.version, stored.updated_by) == ("dry_run", 1, "otto")

    olga.click("#configure-form button[type=submit]")
    olga.wait_for_selector(".messages .success")
    assert olga.inner_text("#current-mode") == "auto"
    assert ControlModel.get("S3.5", "CONTROL").version == 2


def test_anonymous_visitors_only_see_the_login_page(
    console: Seeded, live_server: Any, contexts: Callable[[], Any]
) -> None:
    page = contexts()
    for path in ("/", "/findings/", "/controls/S3.2/", "/executions/"):
        page.goto(f"{live_server.url}{path}")
        assert "/login/" in page.url
        assert page.locator("#id_password").count() == 1
        assert page.locator("nav.main-nav").count() == 0
