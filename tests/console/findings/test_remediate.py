"""The findings' "Remediate now" action: POST only, operator only, audited, errors shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages

from console.audit.models import AuditEntry
from console.findings import services
from ouroboros.errors import NotFoundError
from tests.console.conftest import logged_in

FINDING = (
    "arn:aws:securityhub:us-east-1:222222222222:subscription/"
    "aws-foundational-security-best-practices/v/1.0.0/S3.2/finding/abc"
)


@pytest.mark.django_db
def test_an_operator_starts_a_dry_run_and_it_is_audited(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def start(**kwargs: Any) -> str:
        calls.append(kwargs)
        return "arn:aws:states:us-east-1:123456789012:execution:sm:manual-1"

    monkeypatch.setattr(services, "remediation_start", start)
    operator = logged_in("otto", "operator")
    response = operator.post(f"/findings/{FINDING}/remediate/", {"dry_run": "1", "next": "/x/"})
    # Back on the page it came from, which waits for the run started at ``since``.
    assert response.status_code == 302 and response["Location"].startswith("/x/?since=20")
    assert calls == [{"finding_id": FINDING, "actor": "otto", "dry_run": True}]
    event = AuditEntry.objects.get(action="finding.remediate")
    assert (event.actor_name, event.target_type, event.target_id) == ("otto", "finding", FINDING)
    assert event.after["dry_run"] is True and event.via == "console"


@pytest.mark.django_db
def test_viewers_get_403_gets_405_and_errors_are_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(**kwargs: Any) -> str:
        raise NotFoundError("finding x not found in Security Hub")

    monkeypatch.setattr(services, "remediation_start", missing)
    assert logged_in("vera", "viewer").post(f"/findings/{FINDING}/remediate/").status_code == 403
    operator = logged_in("otto", "operator")
    assert operator.get(f"/findings/{FINDING}/remediate/").status_code == 405
    response = operator.post(f"/findings/{FINDING}/remediate/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"  # never off-site
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["finding x not found in Security Hub"]
    assert not AuditEntry.objects.filter(action="finding.remediate").exists()
