"""Every console page renders from Queries only, escapes what findings carry, and keeps CSP."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from ouroboros.findings.facets import finding_facets_reset
from tests.console.conftest import HOSTILE_TITLE, REACTOR, Seeded
from tests.console.pages import aws_calls, read_urls

pytestmark = pytest.mark.integration


@pytest.fixture
def dynamodb_calls() -> Iterator[list[str]]:
    """Every AWS operation made while the test runs (boto3 and PynamoDB both use botocore)."""
    with aws_calls() as calls:
        yield calls


def test_every_page_renders_without_a_scan(
    seeded: Seeded, as_role: Callable[[str], Client], dynamodb_calls: list[str]
) -> None:
    client = as_role("viewer")

    for url in read_urls(seeded):
        finding_facets_reset()  # a page served from the facets cache reads nothing: read it
        before = len(dynamodb_calls)
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:500])
        made = dynamodb_calls[before:]
        assert "Scan" not in made, url
        assert made, f"{url} read nothing from DynamoDB"
        assert set(made) <= {"Query", "GetItem", "BatchGetItem"}, (url, made)
    assert dynamodb_calls.count("Query") > len(read_urls(seeded))


def test_facets_and_an_export_read_without_a_scan(
    seeded: Seeded,
    as_role: Callable[[str], Client],
    dynamodb_calls: list[str],
    settings: Any,
) -> None:
    from console.jobs.models import ExportJob

    settings.EXPORT_RUNNER = "inline"
    client = as_role("operator")
    critical = len([f for f in seeded.findings if f.severity_label == "CRITICAL"])

    listing = client.get(reverse("finding_list"), {"severity": "CRITICAL"})
    exported = client.post(
        reverse("finding_export"), {"query": "severity=CRITICAL&sort=updated", "format": "json"}
    )

    assert listing.context["total"] == critical
    assert exported.status_code == 302
    job = ExportJob.objects.get()
    assert (job.status, job.rows) == ("done", critical)
    assert "Scan" not in dynamodb_calls and "Query" in dynamodb_calls


def test_the_scan_detector_detects_a_scan(seeded: Seeded, dynamodb_calls: list[str]) -> None:
    from ouroboros.models import FindingModel

    list(FindingModel.scan(limit=1))

    assert "Scan" in dynamodb_calls


def test_pages_have_no_inline_script_or_style_and_send_the_csp(
    seeded: Seeded, as_role: Callable[[str], Client]
) -> None:
    client = as_role("operator")

    for url in read_urls(seeded):
        response = client.get(url)
        html = response.content.decode()
        assert "<script" not in html.replace("&lt;script", ""), url
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert "script-src 'self'" in response["Content-Security-Policy"]


def test_finding_text_is_escaped_everywhere(
    seeded: Seeded, as_role: Callable[[str], Client]
) -> None:
    client = as_role("viewer")
    detail = client.get(
        f"{reverse('finding_detail')}?id={quote(seeded.hostile.finding_id, safe='')}"
    )
    listing = client.get(reverse("finding_list"))

    for response in (detail, listing):
        html = response.content.decode()
        assert HOSTILE_TITLE not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert 'id="raw-asff"' in detail.content.decode()


def test_findings_list_filters_from_the_url_and_pages_by_cursor(
    seeded: Seeded, as_role: Callable[[str], Client]
) -> None:
    client = as_role("viewer")
    critical = [f for f in seeded.findings if f.severity_label == "CRITICAL"]

    page = client.get(reverse("finding_list"), {"severity": "CRITICAL"})

    html = page.content.decode()
    assert page.context["page"].plan.index == "severity-index"
    assert [f.finding_id for f in page.context["page"].items] == [
        f.finding_id for f in sorted(critical, key=lambda f: f.updated_at, reverse=True)
    ]
    assert html.count('class="badge sev-CRITICAL"') == len(critical)
    assert 'class="badge sev-MEDIUM"' not in html

    query = {"account": "111111111111", "size": "25"}
    first = client.get(reverse("finding_list"), query)
    cursor = first.context["page"].next_cursor
    assert len(first.context["page"].items) == 25
    assert cursor and "account=111111111111" in html_next_link(first)
    second = client.get(reverse("finding_list"), {**query, "cursor": cursor})
    first_ids = {f.finding_id for f in first.context["page"].items}
    second_ids = {f.finding_id for f in second.context["page"].items}
    assert second_ids and not first_ids & second_ids


def html_next_link(response: Any) -> str:
    match = re.search(r'id="next-page"|href="([^"]+)" id="next-page"', response.content.decode())
    assert match
    return match.group(1) or ""


def test_bad_filters_and_tampered_cursors_are_400_with_a_message(
    seeded: Seeded, as_role: Callable[[str], Client]
) -> None:
    client = as_role("viewer")

    bad_account = client.get(reverse("finding_list"), {"account": "12"})
    tampered = client.get(reverse("finding_list"), {"cursor": "eyJ2IjoxfQ.AAAA"})
    cursor = client.get(reverse("finding_list"), {"size": "25"}).context["page"].next_cursor
    foreign = client.get(reverse("finding_list"), {"severity": "HIGH", "cursor": cursor})

    assert bad_account.status_code == 400
    assert "12 digits" in bad_account.content.decode()
    assert tampered.status_code == 400
    assert "damaged or was changed" in tampered.content.decode()
    assert foreign.status_code == 400
    assert "another view" in foreign.content.decode()


def test_finding_detail_shows_fields_resources_and_history(
    seeded: Seeded, as_role: Callable[[str], Client]
) -> None:
    response = as_role("viewer").get(reverse("finding_detail"), {"id": seeded.hostile.finding_id})

    html = response.content.decode()
    assert seeded.hostile.resource_id in html
    assert "AwsS3Bucket" in html
    for execution in seeded.executions:
        assert reverse("execution_detail", args=[execution.execution_id]) in html
    assert "remediate-form" not in html  # viewers cannot remediate


def test_unknown_finding_control_and_execution_are_404(
    seeded: Seeded, as_role: Callable[[str], Client]
) -> None:
    client = as_role("viewer")

    assert client.get(reverse("finding_detail"), {"id": "nope"}).status_code == 404
    assert client.get(reverse("finding_detail")).status_code == 404
    assert client.get(reverse("control_detail", args=["Nope.1"])).status_code == 404
    assert client.get(reverse("execution_detail", args=["2024#x"])).status_code == 404


def test_execution_detail_shows_changes_rollback_and_error(
    seeded: Seeded, as_role: Callable[[str], Client]
) -> None:
    failed = seeded.executions[1]

    html = (
        as_role("viewer")
        .get(reverse("execution_detail", args=[failed.execution_id]))
        .content.decode()
    )

    assert "MemberAccessError" in html
    assert "AccessDenied: &lt;not allowed&gt;" in html
    assert "s3:PutBucketPolicy" in html and "&lt;deny http&gt;" in html
    assert "execution-rollback" in html
    assert REACTOR in html and "1.2.0" in html


def test_dashboard_draws_svg_charts_from_aggregates(
    seeded: Seeded, as_role: Callable[[str], Client]
) -> None:
    response = as_role("viewer").get(reverse("home"))

    html = response.content.decode()
    for chart in ("severity", "compliance", "workflow", "accounts", "controls", "remediations"):
        assert f'id="chart-{chart}"' in html
    critical = len([f for f in seeded.findings if f.severity_label == "CRITICAL"])
    assert f"<title>CRITICAL: {critical}</title>" in html
    assert response.context["counts"]["findings_active"] == len(seeded.findings)
