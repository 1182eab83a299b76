"""Findings exports: a job pages through the list's Queries, writes CSV or JSON to the export
storage, is audited, and is linked (and downloaded) by the user who started it."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from console.audit.models import AuditEntry
from console.jobs import exports
from console.jobs.models import ExportJob
from ouroboros.findings.services import finding_upsert_batch
from ouroboros.securityhub.asff import asff_parse
from tests.conftest import load_event
from tests.console.conftest import logged_in
from tests.console.pages import aws_calls

pytestmark = [pytest.mark.functional, pytest.mark.django_db]

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def written(moto_aws: None, settings: Any) -> list[Any]:
    settings.EXPORT_RUNNER = "inline"
    raw = load_event("asff_findings/asr_afsbp_s3.2.json")
    findings = []
    for n in range(12):
        changed = {
            **raw,
            "Id": f"{raw['Id']}-export{n}",
            "Severity": {"Label": "HIGH" if n % 3 else "LOW"},
            "UpdatedAt": f"2024-04-{n + 1:02d}T00:00:00.000Z",
            # A title a spreadsheet would run as a formula: the CSV must defuse it.
            "Title": '=HYPERLINK("http://x")' if n == 0 else raw["Title"],
        }
        findings.append(asff_parse(changed))
    finding_upsert_batch(findings=findings, now=NOW)
    return findings


def _export(client: Client, query: str, fmt: str) -> Any:
    return client.post(reverse("finding_export"), {"query": query, "format": fmt})


def test_csv_export_of_a_filtered_view_pages_without_a_scan_and_downloads(
    written: list[Any],
) -> None:
    client = logged_in("otto", "operator")
    high = sorted(
        (f for f in written if f.severity_label == "HIGH"), key=lambda f: f.updated_at, reverse=True
    )

    with aws_calls() as calls:
        response = _export(client, "severity=HIGH&cursor=abc&trail=-&size=25", "csv")
    job = ExportJob.objects.get()
    page = client.get(response["Location"])
    download = client.get(reverse("finding_export_download", args=[job.id]))

    assert response.status_code == 302 and str(job.id) in response["Location"]
    assert "Scan" not in calls and "Query" in calls
    assert (job.status, job.rows, job.query, job.truncated) == (
        "done",
        len(high),
        "severity=HIGH",
        False,
    )
    assert 'id="export-download"' in page.content.decode()
    assert "http-equiv" not in page.content.decode()  # done: no more refreshing
    assert download["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert [r["finding_id"] for r in rows] == [f.finding_id for f in high]
    assert {r["severity_label"] for r in rows} == {"HIGH"}
    entry = AuditEntry.objects.get(action="findings.export")
    assert (entry.actor_name, entry.target_id) == ("otto", str(job.id))
    assert entry.after == {"query": "severity=HIGH", "format": "csv"}


def test_json_export_pages_through_every_page_and_defuses_formulas(
    written: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "MAX_LIMIT", 5)  # three pages of 5, 5, 2
    client = logged_in("otto", "operator")

    _export(client, "", "json")
    job = ExportJob.objects.get()
    body = json.loads(
        b"".join(client.get(reverse("finding_export_download", args=[job.id])).streaming_content)
    )
    _export(client, "", "csv")
    csv_job = ExportJob.objects.exclude(pk=job.pk).get()
    text = b"".join(
        client.get(reverse("finding_export_download", args=[csv_job.id])).streaming_content
    ).decode()

    assert sorted(f["finding_id"] for f in body["findings"]) == sorted(
        f.finding_id for f in written
    )
    assert '"\'=HYPERLINK(""http://x"")"' in text


def test_bad_views_are_refused_and_others_cannot_see_a_job(written: list[Any]) -> None:
    owner, otto = logged_in("otto", "operator"), logged_in("opal", "operator")
    viewer = logged_in("vic", "viewer")
    assert _export(viewer, "", "csv").status_code == 403  # a viewer changes nothing

    refused = _export(owner, "account=12", "csv")
    bad_format = _export(owner, "", "xlsx")
    _export(owner, "", "csv")
    job = ExportJob.objects.get()

    assert refused.status_code == 302 and bad_format.status_code == 302
    assert ExportJob.objects.count() == 1
    assert otto.get(reverse("finding_export_detail", args=[job.id])).status_code == 404
    assert otto.get(reverse("finding_export_download", args=[job.id])).status_code == 404
    assert (
        logged_in("ada", "admin").get(reverse("finding_export_detail", args=[job.id])).status_code
        == 200
    )
    assert owner.get(reverse("finding_export")).status_code == 405
    assert Client().post(reverse("finding_export"), {"query": ""}).status_code == 302  # login


def test_a_pending_job_page_refreshes_and_a_failure_is_shown(written: list[Any]) -> None:
    owner = logged_in("otto", "operator")
    pending = ExportJob.objects.create(query="", format="csv", created_by=owner_user())
    failed = ExportJob.objects.create(
        query="", format="csv", created_by=owner_user(), status="failed", error="Throttled <x>"
    )

    waiting = owner.get(reverse("finding_export_detail", args=[pending.id])).content.decode()
    shown = owner.get(reverse("finding_export_detail", args=[failed.id])).content.decode()

    assert 'http-equiv="refresh"' in waiting and "export-download" not in waiting
    assert "Throttled &lt;x&gt;" in shown
    assert owner.get(reverse("finding_export_download", args=[pending.id])).status_code == 404


def owner_user() -> Any:
    from django.contrib.auth.models import User

    return User.objects.get(username="otto")
