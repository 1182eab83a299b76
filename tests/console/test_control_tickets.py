"""Issue 23 in the console: a control's ticket behaviour is set by the configure form and the API's
PATCH (validated, versioned, audited), and an execution's ticket is shown on its page, on the
finding's page and in the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from console.audit.models import AuditEntry
from ouroboros.controls.services import control_assign_reactor
from ouroboros.models import ControlModel, ExecutionModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.securityhub.asff import asff_parse
from ouroboros.securityhub.catalog import FSBP_STANDARD_ID, catalog_controls
from tests.control_catalog import catalog_loaded
from tests.findings_factory import finding_from_asff
from tests.ouroboros.workflow.test_rollback import failed_finding

pytestmark = [pytest.mark.functional, pytest.mark.django_db]

REACTOR = "s3-public-read"
EXECUTION = "2026-12-01T00:00:00.000Z#tick"


@pytest.fixture
def s3(moto_aws: None) -> None:
    catalog_loaded(
        controls=[c for c in catalog_controls() if c.control_id == "S3.2"],
        standard_id=FSBP_STANDARD_ID,
    )
    LocalReactorModel(
        REACTOR,
        version="1.0.0",
        sha256="0" * 64,
        status="installed",
        installed_at=datetime.now(UTC),
        manifest={"id": REACTOR, "control_ids": ["S3.2"]},
    ).save()
    control_assign_reactor(
        control_id="S3.2", expected_version=0, reactor_id=REACTOR, mode="auto", actor="seed"
    )


def test_the_form_sets_the_ticket_behaviour_audited_and_shows_it(
    s3: None, as_role: Callable[[str], Client]
) -> None:
    operator = as_role("operator")
    data = {"reactor_id": REACTOR, "params_reactor": REACTOR, "mode": "auto", "version": "1"}
    saved = operator.post(reverse("control_configure", args=["S3.2"]), data | {"ticket": "instead"})
    assert saved.status_code == 302
    stored = ControlModel.get("S3.2", KIND_CONTROL, consistent_read=True)
    assert (stored.ticket, stored.version) == ("instead", 2)
    assert AuditEntry.objects.get(action="control.configure").after["ticket"] == "instead"
    page = as_role("viewer").get(reverse("control_detail", args=["S3.2"])).content.decode()
    assert "instead" in page.split('id="current-ticket"')[1].split("</dd>")[0]

    refused = operator.post(
        reverse("control_configure", args=["S3.2"]), data | {"version": "2", "ticket": "manual"}
    )
    assert refused.status_code == 400 and "manual mode" in refused.content.decode()
    assert ControlModel.get("S3.2", KIND_CONTROL, consistent_read=True).version == 2


def test_the_api_patch_sets_and_audits_the_ticket_behaviour(
    s3: None, as_role: Callable[[str], Client]
) -> None:
    operator = as_role("operator")
    url = "/api/v1/controls/S3.2"
    bad = operator.patch(url, {"version": 1, "ticket": "jira"}, content_type="application/json")
    assert bad.status_code == 400
    ok = operator.patch(
        url, {"version": 1, "ticket": "after_failure"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["ticket"] == "after_failure"
    entry = AuditEntry.objects.get(action="control.update", target_id="S3.2")
    assert (entry.before["ticket"], entry.after["ticket"]) == ("off", "after_failure")


def test_the_ticket_is_shown_on_the_execution_and_finding_pages_and_in_the_api(
    s3: None, as_role: Callable[[str], Client]
) -> None:
    raw = failed_finding()
    finding_from_asff(raw).save()
    finding = asff_parse(raw)
    ExecutionModel(
        EXECUTION,
        finding_id=finding.finding_id,
        control_id="S3.2",
        reactor_id=REACTOR,
        status="succeeded",
        dry_run=True,
        started_at="2026-12-01T00:00:00.000Z",
        ticket_channel="webhook",
        ticket_id="SEC-7",
        ticket_url="https://jira.example.com/browse/SEC-7",
        ticket_reason="instead",
    ).save()
    viewer = as_role("viewer")
    html = viewer.get(reverse("execution_detail", args=[EXECUTION])).content.decode()
    shown = html.split('id="execution-ticket"')[1].split("</dd>")[0]
    assert 'href="https://jira.example.com/browse/SEC-7"' in shown and "SEC-7" in shown
    page = viewer.get("/findings/detail/", {"id": finding.finding_id}).content.decode()
    assert "SEC-7" in page
    api = viewer.get(f"/api/v1/executions/{EXECUTION.replace('#', '%23')}").json()
    assert (api["ticket_id"], api["ticket_channel"]) == ("SEC-7", "webhook")
