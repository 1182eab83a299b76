"""The interactive API docs render in a real Chromium under the console's CSP, with no violation."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.test import Client

from tests.console.api.conftest import make_user
from tests.console.api.live import live_console

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _is_csp_violation(text: str) -> bool:
    return "Content Security Policy" in text or "Refused to" in text


def test_swagger_ui_renders_every_operation_without_csp_violations(django_user_model: Any) -> None:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing (make browser-deps installs it)")
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import sync_playwright

    user = make_user(django_user_model, "vera", "viewer")
    client = Client()
    client.force_login(user)
    session_id = client.cookies["sessionid"].value
    messages: list[str] = []
    failed: list[str] = []

    def drive() -> tuple[list[str], list[str], list[str], list[str]]:
        with live_console() as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                context = browser.new_context()
                context.add_cookies([{"name": "sessionid", "value": session_id, "url": url}])
                page = context.new_page()
                page.on(
                    "console", lambda message: messages.append(f"{message.type}: {message.text}")
                )
                page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
                page.on("requestfailed", lambda request: failed.append(request.url))
                response = page.goto(f"{url}/api/docs/")
                assert response is not None and response.status == 200
                assert "script-src 'self'" in response.headers["content-security-policy"]
                try:
                    page.wait_for_selector(".opblock", timeout=30_000)
                    page.wait_for_load_state("networkidle")
                except PlaywrightTimeoutError:
                    pass  # the assertions below say why nothing rendered
                operations = page.locator(".opblock-summary-path").all_inner_texts()
                title = page.locator(".info .title").all_inner_texts()
                violations = [m for m in messages if _is_csp_violation(m)]
                # Control: an inline style injected now must be reported, so the listener works.
                page.evaluate(
                    "document.head.appendChild(Object.assign(document.createElement('style'),"
                    " {textContent: 'body { color: red }'}))"
                )
                page.wait_for_timeout(500)
                control = [m for m in messages if _is_csp_violation(m)]
            finally:
                browser.close()
        return violations, operations, title, control

    # Playwright's sync API refuses a thread with a running asyncio loop (an earlier test may
    # leave one); a fresh thread has none.
    with ThreadPoolExecutor(max_workers=1) as pool:
        violations, operations, title, control = pool.submit(drive).result()
    assert violations == [], violations
    assert [m for m in messages if m.startswith("pageerror")] == []
    assert any("Ouroboros API" in text for text in title), title
    paths = {text.replace("\u200b", "").strip() for text in operations}
    assert {
        "/api/v1/summary",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/audit",
    } <= paths, paths
    assert failed == []
    assert len(control) > len(violations), "the CSP listener saw no violation in the control"
