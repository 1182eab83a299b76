"""Bulk actions from the findings page and the API: operators only, CSRF, one audit entry listing
every member, a summary of each finding's outcome, and links to the AWS console on the list."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.messages import get_messages
from django.test import Client

from console.audit.models import AuditEntry
from tests.console.conftest import logged_in
from tests.ouroboros.findings.bulk_support import (
    CONTROL,
    bulk_findings_seed,
    workflow_ready,
)
from tests.strict.workload import securityhub_updates_answered

pytestmark = [pytest.mark.django_db, pytest.mark.functional]


def _summary_rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-finding-id="([^"]+)" data-outcome="([a-z]+)"', html))


def test_an_operator_dry_runs_every_finding_of_a_filter_and_reads_the_summary(
    moto_aws: None,
) -> None:
    workflow_ready()
    ids = bulk_findings_seed(12)
    others = bulk_findings_seed(2, prefix="other", control_id="S3.9")
    operator = logged_in("otto", "operator")

    page = operator.get(f"/findings/?control={CONTROL}")
    html = page.content.decode()
    assert 'id="bulk-form"' in html and html.count('form="bulk-form"') == 12
    assert f'name="query" value="control={CONTROL}"' in html

    response = operator.post(
        "/findings/bulk/", {"scope": "filter", "query": f"control={CONTROL}", "action": "dry_run"}
    )
    entry = AuditEntry.objects.get(action="finding.bulk")
    assert response.status_code == 302 and response["Location"] == f"/findings/bulk/{entry.pk}/"
    # One entry for the whole action, listing its members.
    assert (entry.actor_name, entry.target_type, entry.via) == ("otto", "finding", "console")
    assert entry.after["action"] == "dry_run" and entry.after["selection"] == "filter"
    assert sorted(m["finding_id"] for m in entry.after["members"]) == sorted(ids)
    assert {m["outcome"] for m in entry.after["members"]} == {"started"}
    assert len(entry.after["executions"]) == 1

    summary = operator.get(response["Location"]).content.decode()
    assert _summary_rows(summary) == dict.fromkeys(ids, "started")
    assert "Dry run: 12 findings" in summary

    picked = operator.post(
        "/findings/bulk/", {"scope": "selected", "id": [ids[0], *others], "action": "remediate"}
    )
    refused = operator.get(picked["Location"]).content.decode()
    assert _summary_rows(refused) == {ids[0]: "started", **dict.fromkeys(others, "refused")}
    assert "control S3.9 has no reactor assigned" in refused
    assert AuditEntry.objects.filter(action="finding.bulk").count() == 2


def test_setting_a_workflow_status_needs_a_note_and_updates_each_finding(moto_aws: None) -> None:
    ids = bulk_findings_seed(3)
    operator = logged_in("otto", "operator")
    form = {"scope": "selected", "id": ids, "action": "workflow", "status": "RESOLVED"}
    with securityhub_updates_answered() as requests:
        refused = operator.post("/findings/bulk/", {**form, "query": "severity=HIGH"})
        assert refused["Location"] == "/findings/?severity=HIGH"  # back to the same list
        shown = [str(m) for m in get_messages(refused.wsgi_request)]
        assert shown == ["A note is required (it says why, in Security Hub)."]
        assert requests == [] and not AuditEntry.objects.exists()

        done = operator.post("/findings/bulk/", {**form, "note": "fixed by hand"})
    assert [r["Note"]["Text"] for r in requests] == ["fixed by hand"]
    entry = AuditEntry.objects.get(action="finding.bulk")
    assert done["Location"] == f"/findings/bulk/{entry.pk}/"
    assert (entry.after["status"], entry.after["note"]) == ("RESOLVED", "fixed by hand")
    assert entry.after["counts"] == {"updated": 3}


def test_viewers_get_403_and_the_form_needs_its_csrf_token(moto_aws: None) -> None:
    ids = bulk_findings_seed(1)
    viewer = logged_in("vera", "viewer")
    assert 'id="bulk-form"' not in viewer.get("/findings/").content.decode()
    body = {"scope": "selected", "id": ids, "action": "dry_run"}
    assert viewer.post("/findings/bulk/", body).status_code == 403
    user = User.objects.create_user(username="olga", password="x" * 12)
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post("/findings/bulk/", body).status_code == 403
    assert not AuditEntry.objects.exists()
    operator = logged_in("otto", "operator")
    assert operator.get("/findings/bulk/").status_code == 405
    assert operator.get("/findings/bulk/999/").status_code == 404
    entry = AuditEntry.objects.create(action="finding.remediate", via="console", after={})
    assert operator.get(f"/findings/bulk/{entry.pk}/").status_code == 404  # not a bulk action
    assert viewer.get(f"/findings/bulk/{entry.pk}/").status_code == 403


def test_the_api_runs_the_same_service(moto_aws: None) -> None:
    ids = bulk_findings_seed(2)
    operator = logged_in("otto", "operator")

    def post(body: dict[str, Any]) -> Any:
        return operator.post(
            "/api/v1/findings/bulk", json.dumps(body), content_type="application/json"
        )

    with securityhub_updates_answered() as requests:
        response = post(
            {"action": "workflow", "status": "SUPPRESSED", "note": "risk accepted", "filter": {}}
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(m["finding_id"] for m in body["members"]) == sorted(ids)
    assert body["counts"] == {"updated": 2} and body["truncated"] is False
    assert [len(r["FindingIdentifiers"]) for r in requests] == [2]
    entry = AuditEntry.objects.get(pk=body["audit_id"])
    assert (entry.action, entry.via) == ("finding.bulk", "api")
    both = post({"action": "dry_run", "finding_ids": ids, "filter": {}})
    assert both.status_code == 400
    no_status = post({"action": "workflow", "finding_ids": ids, "note": "n"})
    assert no_status.status_code == 400
    past = post(
        {"action": "exempt", "finding_ids": ids, "note": "n", "expires_at": "2001-01-01T00:00:00Z"}
    )
    assert past.status_code == 400 and "expiry must be in the future" in past.content.decode()
    assert AuditEntry.objects.filter(action="finding.bulk").count() == 1


def test_the_list_links_each_finding_and_resource_to_the_aws_console(moto_aws: None) -> None:
    (finding_id,) = bulk_findings_seed(1, prefix="link")
    html = logged_in("vera", "viewer").get("/findings/").content.decode()
    assert (
        "https://us-east-1.console.aws.amazon.com/s3/buckets/link-bucket-0000?region=us-east-1"
        in html
    )
    assert (
        "https://us-east-1.console.aws.amazon.com/securityhub/home?region=us-east-1"
        "#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253Aarn%253Aaws%253Asecurityhub"
    ) in html
    detail = logged_in("otto", "operator").get("/findings/detail/", {"id": finding_id})
    text = detail.content.decode()
    assert 'id="finding-console-link"' in text and "link-bucket-0000?region=us-east-1" in text
