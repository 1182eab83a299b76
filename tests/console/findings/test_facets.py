"""Facets, totals and groups of the findings list: counted on write, read from aggregates.

Findings go through the real writer (`finding_upsert_batch`); the expected numbers are computed
here from the findings written, never read back from the counters under test.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import botocore.client
import pytest
from django.test import Client
from django.urls import reverse

from ouroboros.aggregates.rebuild import aggregates_rebuild
from ouroboros.errors import ValidationError
from ouroboros.findings.facets import finding_facets, finding_facets_reset, finding_groups
from ouroboros.findings.selectors import FindingFilters, control_titles_reset, finding_list
from ouroboros.findings.services import finding_upsert_batch
from ouroboros.models import AggregateModel, FindingModel
from ouroboros.securityhub.asff import NormalizedFinding, asff_parse
from tests.conftest import load_event
from tests.console.conftest import logged_in
from tests.console.pages import aws_calls

pytestmark = [pytest.mark.functional, pytest.mark.django_db]

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ACCOUNTS = ("111111111111", "222222222222", "333333333333")
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
WORKFLOWS = ("NEW", "NOTIFIED", "RESOLVED")
BUCKET = "arn:aws:s3:::ouroboros-facets-{}"


def _raw(n: int) -> dict[str, Any]:
    raw = copy.deepcopy(load_event("asff_findings/asr_afsbp_s3.2.json"))
    raw["Id"] = f"{raw['Id']}-facet{n}"
    raw["AwsAccountId"] = ACCOUNTS[n % 3]
    raw["Severity"] = {"Label": SEVERITIES[n % 4]}
    raw["Workflow"] = {"Status": WORKFLOWS[n % 3]}
    raw["Compliance"] = {"Status": "FAILED" if n % 5 else "PASSED"}
    raw["Resources"][0]["Id"] = BUCKET.format(n % 7)
    raw["UpdatedAt"] = f"2024-04-{1 + n % 28:02d}T00:{n % 60:02d}:00.000Z"
    return raw


@pytest.fixture
def written(moto_aws: None) -> list[NormalizedFinding]:
    findings = [asff_parse(_raw(n)) for n in range(30)]
    finding_upsert_batch(findings=findings, now=NOW)
    control_titles_reset()
    return findings


def _count(findings: list[NormalizedFinding], attribute: str, **where: str) -> dict[str, int]:
    kept = [f for f in findings if all(getattr(f, k) == v for k, v in where.items())]
    return dict(Counter(str(getattr(f, attribute)) for f in kept))


def test_facets_groups_and_resource_prefix_from_the_counters(
    written: list[NormalizedFinding],
) -> None:
    whole = finding_facets(filters=FindingFilters())
    assert whole.total == 30
    assert whole.counts["severity"] == _count(written, "severity_label")
    assert whole.counts["account"] == _count(written, "account_id")

    account = finding_facets(filters=FindingFilters(account=ACCOUNTS[1]))
    in_account = [f for f in written if f.account_id == ACCOUNTS[1]]
    assert account.total == len(in_account)
    assert account.counts["severity"] == _count(in_account, "severity_label")
    assert account.counts["workflow"] == _count(in_account, "workflow_status")
    assert account.counts["compliance"] == _count(in_account, "compliance_status")
    assert account.counts["account"] == _count(written, "account_id")  # switching accounts

    both = finding_facets(filters=FindingFilters(account=ACCOUNTS[1], severity="HIGH"))
    assert both.total == len([f for f in in_account if f.severity_label == "HIGH"])
    high = [f for f in written if f.severity_label == "HIGH"]
    assert both.counts["account"] == _count(high, "account_id")
    assert both.counts["severity"] == _count(in_account, "severity_label")
    assert both.counts["workflow"] is None  # not kept for two filters: "—", never a guess

    # A search or a filter the counters do not keep: "—", never a count over items.
    for filters in (
        FindingFilters(region="us-east-1"),
        FindingFilters(search="public"),
        FindingFilters(account=ACCOUNTS[0], severity="HIGH", workflow="NEW"),
    ):
        facets = finding_facets(filters=filters)
        assert facets.total is None
        assert set(facets.counts.values()) == {None}
    _groups_by_control_account_and_resource(written)
    _resource_search_matches_a_prefix_through_the_index(written)


def test_a_workflow_change_moves_the_facet_counts(written: list[NormalizedFinding]) -> None:
    changed: dict[str, Any] = copy.deepcopy(dict(written[0].raw))
    changed["Workflow"] = {"Status": "SUPPRESSED"}
    changed["UpdatedAt"] = "2024-04-30T00:00:00.000Z"
    finding_upsert_batch(findings=[asff_parse(changed)], now=NOW)
    now = [f for f in written[1:] if f.account_id == written[0].account_id]

    facets = finding_facets(filters=FindingFilters(account=written[0].account_id))

    assert facets.counts["workflow"] == {**_count(now, "workflow_status"), "SUPPRESSED": 1}
    assert aggregates_rebuild(check=True).drift == []


def _groups_by_control_account_and_resource(written: list[NormalizedFinding]) -> None:
    by_account = finding_groups(filters=FindingFilters(), by="account")
    by_resource = finding_groups(filters=FindingFilters(), by="resource")
    failed_by_account = finding_groups(filters=FindingFilters(compliance="FAILED"), by="account")

    assert {g.value: g.count for g in by_account.groups or []} == _count(written, "account_id")
    assert {g.value: g.count for g in by_resource.groups or []} == _count(written, "resource_id")
    failed = [f for f in written if f.compliance_status == "FAILED"]
    assert {g.value: g.count for g in failed_by_account.groups or []} == _count(
        failed, "account_id"
    )
    counts = [g.count for g in by_resource.groups or []]
    assert counts == sorted(counts, reverse=True)
    assert finding_groups(filters=FindingFilters(region="eu-west-1"), by="control").groups is None


def _resource_search_matches_a_prefix_through_the_index(written: list[NormalizedFinding]) -> None:
    prefix = "arn:aws:s3:::ouroboros-facets-"
    with aws_calls() as calls:
        page = finding_list(filters=FindingFilters(search=prefix, search_in="resource"), limit=200)
    assert {f.finding_id for f in page.items} == {f.finding_id for f in written}
    assert "Scan" not in calls
    exact = finding_list(filters=FindingFilters(search=BUCKET.format(3)), limit=200)
    assert {f.resource_id for f in exact.items} == {BUCKET.format(3)}


def test_the_list_page_shows_total_facets_groups_and_no_debug_line(
    written: list[NormalizedFinding],
) -> None:
    client: Client = logged_in("vera", "viewer")
    in_account = [f for f in written if f.account_id == ACCOUNTS[2]]

    with aws_calls() as calls:
        response = client.get(reverse("finding_list"), {"account": ACCOUNTS[2]})
        grouped = client.get(reverse("finding_list"), {"group": "account"})
        unkept = client.get(reverse("finding_list"), {"region": "us-east-1"})

    html = response.content.decode()
    assert response.context["total"] == len(in_account)
    assert f"{len(in_account)} findings in this view" in html
    critical = len([f for f in in_account if f.severity_label == "CRITICAL"])
    assert f'data-value="CRITICAL">CRITICAL <span class="count">{critical}</span>' in html
    assert "items read" not in html and 'id="query-plan"' not in html
    assert "Scan" not in calls and set(calls) <= {"Query", "GetItem", "BatchGetItem"}
    by_resource = client.get(reverse("finding_list"), {"group": "resource"})
    value, count, href = by_resource.context["group_rows"][0]
    followed = client.get(reverse("finding_list") + href)
    assert count == len([f for f in written if f.resource_id == value])
    assert followed.context["total"] is None  # resource is no facet: "—"
    assert {f.resource_id for f in followed.context["page"].items} == {value}
    assert len(followed.context["page"].items) == count
    rows = grouped.context["group_rows"]
    assert {value: count for value, count, _ in rows} == _count(written, "account_id")
    assert all("account=" in href and "group" not in href for _, _, href in rows)
    assert unkept.context["total"] is None and "—</span> findings in this view" in (
        unkept.content.decode()
    )
    _pager_goes_back_and_sort_headers_flip(client)


def _pager_goes_back_and_sort_headers_flip(client: Client) -> None:
    first = client.get(reverse("finding_list"), {"size": "25"})
    second = client.get(
        first.context["pager"].next_href.replace("?", reverse("finding_list") + "?")
    )
    back = client.get(reverse("finding_list") + second.context["pager"].previous_href)

    assert first.context["pager"].previous_href is None
    assert [f.finding_id for f in back.context["page"].items] == [
        f.finding_id for f in first.context["page"].items
    ]
    assert {f.finding_id for f in second.context["page"].items}.isdisjoint(
        f.finding_id for f in first.context["page"].items
    )
    descending = client.get(reverse("finding_list"), {"sort": "-severity"}).content.decode()
    ascending = client.get(reverse("finding_list"), {"sort": "severity"}).content.decode()
    assert "sort=severity" in descending and "Severity ↓" in descending
    assert "sort=-severity" in ascending and "Severity ↑" in ascending


def test_a_resource_named_exactly_shows_only_it_and_a_star_searches_by_prefix(
    written: list[NormalizedFinding],
) -> None:
    longer = _raw(3)
    longer["Id"] += "-longer"
    longer["Resources"][0]["Id"] = BUCKET.format("3-replica")  # starts with bucket 3's ARN
    finding_upsert_batch(findings=[asff_parse(longer)], now=NOW)

    with _tables_queried(limits=True) as queried:
        exact = finding_list(filters=FindingFilters(search=BUCKET.format(3)), limit=200)
    assert {f.resource_id for f in exact.items} == {BUCKET.format(3)}
    assert any("other resources start with it" in notice for notice in exact.plan.notices)
    # A resource named exactly: two counter buckets say it exists and others follow.
    assert [q for q in queried if q[0] == AggregateModel.Meta.table_name] == [
        (AggregateModel.Meta.table_name, 2)
    ]
    starred = finding_list(filters=FindingFilters(search=BUCKET.format(3) + "*"), limit=200)
    assert {f.resource_id for f in starred.items} == {BUCKET.format(3), BUCKET.format("3-replica")}


@contextmanager
def _tables_queried(*, limits: bool = False) -> Iterator[list[Any]]:
    """The table of each DynamoDB Query made inside the block (with its Limit: ``limits``)."""
    tables: list[Any] = []
    real = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "Query":
            table = params["TableName"]
            tables.append((table, params.get("Limit")) if limits else table)
        return real(self, operation, params)

    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", record):
        yield tables


def test_two_filters_read_only_their_own_dimensions_and_the_page_reads_that_many_fewer(
    written: list[NormalizedFinding],
) -> None:
    finding_facets_reset()
    filters = FindingFilters(account=ACCOUNTS[1], severity="HIGH")
    in_account = [f for f in written if f.account_id == ACCOUNTS[1]]
    high = [f for f in written if f.severity_label == "HIGH"]

    both = finding_facets(filters=filters)
    again = finding_facets(filters=filters)

    # One bucket per severity of the account and per account with HIGH findings: not the two
    # whole scopes (compliance, workflow and control are not shown for two filters).
    expected = len(_count(in_account, "severity_label")) + len(_count(high, "account_id"))
    assert both.items_read == expected
    assert again.items_read == 0 and again.counts == both.counts  # from the cache
    # The page's budget (twice its size) counts what the counters read: 3 of 4 left here.
    full = finding_list(filters=filters, limit=2)
    shared = finding_list(filters=filters, limit=2, read_already=1)
    assert full.read_count == 4 and full.partial
    assert shared.read_count == 3


def test_groups_replace_the_rows_without_reading_findings_and_resources_come_by_page(
    written: list[NormalizedFinding],
) -> None:
    client: Client = logged_in("vera", "viewer")
    finding_facets_reset()
    with _tables_queried() as tables:
        grouped = client.get(reverse("finding_list"), {"group": "control"})
    assert grouped.status_code == 200 and grouped.context["grouped"]
    assert grouped.context["page"] is None and 'id="findings-table"' not in grouped.content.decode()
    assert FindingModel.Meta.table_name not in tables
    assert tables and set(tables) == {AggregateModel.Meta.table_name}

    resources = _count(written, "resource_id")
    seen: list[str] = []
    after = None
    while True:
        page = finding_groups(filters=FindingFilters(), by="resource", after=after, page_size=3)
        assert page.groups is not None and len(page.groups) <= 3
        seen += [g.value for g in page.groups]
        assert all(resources[g.value] == g.count for g in page.groups)
        if page.next_after is None:
            break
        assert "resource id order" in page.note
        after = page.next_after
    assert seen == sorted(resources)  # every resource once, in resource id order

    first = client.get(reverse("finding_list"), {"group": "resource", "size": "25"})
    assert [v for v, _, _ in first.context["group_rows"]] == sorted(
        resources, key=lambda r: (-resources[r], r)
    )  # one page holds them all: most findings first, no next link
    assert first.context["groups_next_href"] is None
    with pytest.raises(ValidationError):
        finding_groups(filters=FindingFilters(), by="resource", after="bad\x00id")
    forged = client.get(reverse("finding_list"), {"group": "resource", "group_after": "a\x07"})
    assert forged.status_code == 400
    assert "resource page link is not valid" in forged.content.decode()
