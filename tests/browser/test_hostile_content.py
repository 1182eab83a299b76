"""Hostile strings stored in findings, controls, exemptions and executions execute nothing.

An operator types a ``<script>`` / ``<img onerror>`` payload into the exemption form in a real
Chromium; a finding title, a control's title and description and an execution's error carry the
same payloads (as Security Hub or a reactor could deliver them). Every page that shows them is
opened with a ``window.__xss`` tripwire the payloads would set and a listener for Content
Security Policy violations: the flag stays unset, no violation is reported (the page escaped the
payload; CSP did not have to save it), and the payload is visible as text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from ouroboros.models import ControlModel, ExecutionModel
from ouroboros.securityhub.collect_findings import finding_imported
from tests.browser.test_console import console, contexts, log_in  # noqa: F401 (fixtures)
from tests.console.conftest import Seeded
from tests.findings_factory import sample_asff

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PAYLOAD = (
    "<script>window.__xss='script'</script>"
    "<img src=x onerror=\"window.__xss='img'\">"
    "\"'><svg onload=\"window.__xss='svg'\">"
    "' OR 1=1 -- \u202eevil\u202c"
)
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def hostile_data(seeded: Seeded) -> dict[str, str]:
    """Payloads in a control, an execution and the seeded hostile finding; their pages."""
    control = ControlModel.get("S3.5", "CONTROL")
    control.update(
        actions=[
            ControlModel.title.set("S3.5 " + PAYLOAD),
            ControlModel.description.set(PAYLOAD),
        ]
    )
    asff = sample_asff("asr_afsbp_s3.5.json")
    asff.update(
        Id="arn:aws:securityhub:us-east-1:111111111111:finding/xss",
        Title=PAYLOAD,
        Description=PAYLOAD,
        UpdatedAt="2024-05-03T00:00:00.000Z",
    )
    event = {"detail-type": "Security Hub Findings - Imported", "detail": {"findings": [asff]}}
    assert finding_imported(event=event).written == 1  # through the real ingest path
    execution = seeded.executions[1]  # the failed one
    execution.update(actions=[ExecutionModel.error.set("AccessDenied: " + PAYLOAD)])
    return {
        "dashboard": "/",
        "findings": "/findings/",
        "finding": f"/findings/detail/?id={quote(asff['Id'])}",
        "controls": "/controls/",
        "control": "/controls/S3.5/",
        "executions": "/executions/",
        "execution": f"/executions/{quote(execution.execution_id, safe='')}/",
    }


def test_hostile_strings_render_as_text_and_execute_nothing(
    console: Seeded,  # noqa: F811
    live_server: Any,
    contexts: Callable[[], Any],  # noqa: F811
) -> None:
    pages = hostile_data(console)
    page = contexts()
    page.add_init_script(WATCH)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, live_server.url, "otto")

    # An operator stores the payload as an exemption reason through the form.
    page.goto(live_server.url + pages["control"])
    page.fill("#exemption-form [name=reason]", PAYLOAD)
    page.fill("#exemption-form [name=account]", "111111111111")
    page.click("#exemption-form button[type=submit]")
    page.wait_for_selector("#exemptions-table")
    stored = ControlModel.get("S3.5", "CONTROL").exemptions or []
    assert [e.reason for e in stored] == [PAYLOAD]  # stored as typed, not mangled

    for name, path in pages.items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__xss") is None, f"{name}: a payload ran"
        assert page.evaluate("window.__csp") == [], f"{name}: CSP had to block something"
        if name in ("finding", "control", "execution"):
            assert "<img src=x onerror=" in page.inner_text("body"), f"{name}: not shown as text"
    assert dialogs == []
