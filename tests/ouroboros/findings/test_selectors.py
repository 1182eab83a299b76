"""The findings list plans one Query on the right index and pages through it with cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ouroboros.errors import NotFoundError, ValidationError
from ouroboros.findings.selectors import (
    FindingFilters,
    control_titles_reset,
    finding_get,
    finding_list,
)
from ouroboros.models import FindingModel
from ouroboros.models.findings import SEVERITY_RANK
from ouroboros.pagination import InvalidCursorError
from ouroboros.securityhub.catalog import catalog_controls
from tests.conftest import SharedStage
from tests.control_catalog import catalog_loaded
from tests.findings_factory import finding_from_asff, findings_write, sample_asff, sample_asffs

pytestmark = pytest.mark.integration

ACCOUNTS = ("111111111111", "222222222222", "333333333333")


def variants(count: int, *, start: datetime | None = None) -> list[FindingModel]:
    """``count`` findings cycling through the samples, one minute apart, over three accounts."""
    start = start or datetime(2024, 5, 1, tzinfo=UTC)
    samples = sample_asffs()
    items = []
    for n in range(count):
        asff = samples[n % len(samples)]
        updated = (start - timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        items.append(
            finding_from_asff(
                asff,
                Id=f"{asff['Id']}/v{n}",
                UpdatedAt=updated,
                AwsAccountId=ACCOUNTS[n % 3],
                resource_id=f"{asff['Resources'][0]['Id']}-{n % 7}",
            )
        )
    return items


def all_pages(filters: FindingFilters, *, sort: str = "-updated", limit: int) -> list[Any]:
    pages = []
    cursor = None
    while True:
        page = finding_list(filters=filters, sort=sort, cursor=cursor, limit=limit)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) < 100


def ids(items: list[FindingModel]) -> list[str]:
    return [f.finding_id for f in items]


@pytest.fixture(scope="module")
def dataset(ddb_module_stage: SharedStage) -> list[FindingModel]:
    """56 active findings (four of each sample), one archived, and the control catalog."""
    with ddb_module_stage.active():
        catalog_loaded(controls=catalog_controls())
        written = findings_write(variants(56))
        archived = finding_from_asff(
            sample_asff("asr_afsbp_s3.5.json"), Id="gone", RecordState="ARCHIVED"
        )
        findings_write([archived])
    control_titles_reset()
    return written


@pytest.fixture
def written(ddb_module_tables: str, dataset: list[FindingModel]) -> list[FindingModel]:
    return dataset


def newest_first(items: list[FindingModel]) -> list[str]:
    return ids(sorted(items, key=lambda f: f.updated_at, reverse=True))


def test_default_view_is_active_findings_newest_first_on_the_state_index(
    written: list[FindingModel],
) -> None:
    page = finding_list(limit=100)

    assert page.plan.index == "state-updated-index"
    assert ids(page.items) == newest_first(written)
    assert page.next_cursor is None
    assert page.read_count == len(written)
    archived_page = finding_list(filters=FindingFilters(record_state="ARCHIVED"))
    assert ids(archived_page.items) == ["gone"]


def test_cursor_pages_cover_every_finding_once_in_order_reading_one_page_each(
    written: list[FindingModel],
) -> None:
    pages = all_pages(FindingFilters(), limit=10)

    assert [len(p.items) for p in pages] == [10, 10, 10, 10, 10, 6]
    seen = [f.finding_id for p in pages for f in p.items]
    assert seen == newest_first(written)
    assert all(p.read_count <= 11 for p in pages)
    oldest_first = [
        f.finding_id for p in all_pages(FindingFilters(), sort="updated", limit=7) for f in p.items
    ]
    assert oldest_first == seen[::-1]


@pytest.mark.parametrize(
    ("field", "value", "attribute", "index"),
    [
        ("severity", "CRITICAL", "severity_label", "severity-index"),
        ("compliance", "FAILED", "compliance_status", "compliance-index"),
        ("workflow", "RESOLVED", "workflow_status", "workflow-index"),
        ("account", "222222222222", "account_id", "account-index"),
        ("region", "us-east-2", "region", "region-index"),
        ("control", "s3.5", "control_id", "control-index"),
        ("resource_type", "AwsIamUser", "resource_type", "resource-type-index"),
        ("product", "GuardDuty", "product_name", "product-index"),
    ],
)
def test_each_filter_queries_its_own_index_and_returns_exactly_its_findings(
    written: list[FindingModel], field: str, value: str, attribute: str, index: str
) -> None:
    wanted_value = "S3.5" if field == "control" else value
    expected = [f for f in written if getattr(f, attribute) == wanted_value]
    assert expected, "the samples must contain the filtered value"

    pages = all_pages(FindingFilters(**{field: value}), limit=3)

    assert {p.plan.index for p in pages} == {index}
    assert all(p.plan.filter_names == [] for p in pages)
    assert [f.finding_id for p in pages for f in p.items] == newest_first(expected)
    assert all(p.read_count <= 4 for p in pages)


def test_second_filter_is_a_filter_expression_on_the_most_selective_index(
    written: list[FindingModel],
) -> None:
    filters = FindingFilters(severity="medium", account="111111111111", compliance="FAILED")

    page = finding_list(filters=filters, limit=50)

    assert page.plan.index == "account-index"
    assert page.plan.filter_names == ["compliance", "severity"]
    expected = [
        f
        for f in written
        if (f.severity_label, f.account_id, f.compliance_status)
        == ("MEDIUM", "111111111111", "FAILED")
    ]
    assert ids(page.items) == newest_first(expected)
    assert page.read_count == len([f for f in written if f.account_id == "111111111111"])


def test_filtered_pages_with_a_filter_expression_still_cover_everything(
    written: list[FindingModel],
) -> None:
    filters = FindingFilters(account="333333333333", severity="MEDIUM")
    expected = [
        f for f in written if f.account_id == "333333333333" and f.severity_label == "MEDIUM"
    ]

    pages = all_pages(filters, limit=2)

    assert [f.finding_id for p in pages for f in p.items] == newest_first(expected)


def test_a_read_budget_stops_a_sparse_filter_and_says_the_page_is_partial(
    written: list[FindingModel],
) -> None:
    filters = FindingFilters(compliance="FAILED", severity="LOW")

    page = finding_list(filters=filters, limit=1)

    assert page.items == []
    assert page.partial is True
    assert page.read_count <= 2  # twice the page size, not the pagination's default 20 times
    rest = all_pages(filters, limit=1)
    assert [f for p in rest for f in p.items] == []


def test_sort_by_severity_and_first_observed_use_the_state_indexes(
    written: list[FindingModel],
) -> None:
    by_severity = finding_list(sort="-severity", limit=100)
    by_observed = finding_list(sort="first_observed", limit=100)

    assert by_severity.plan.index == "state-severity-index"
    ranks = [SEVERITY_RANK[f.severity_label] for f in by_severity.items]
    assert ranks == sorted(ranks, reverse=True)
    assert ranks[0] == 4
    assert len(ranks) == len(written)
    assert by_observed.plan.index == "state-observed-index"
    observed = [f.first_observed_at for f in by_observed.items]
    assert observed == sorted(observed)
    assert len(observed) == len([f for f in written if f.first_observed_at])


def test_a_filtered_list_sorted_by_severity_says_it_is_sorted_by_update(
    written: list[FindingModel],
) -> None:
    page = finding_list(filters=FindingFilters(account="111111111111"), sort="-severity")

    assert page.plan.sort == "-updated"
    assert "sorted by last update" in page.plan.notices[0]
    updated = [f.updated_at for f in page.items]
    assert updated == sorted(updated, reverse=True)


def test_search_by_control_id_and_by_resource_arn(written: list[FindingModel]) -> None:
    arn = written[3].resource_id

    by_control = finding_list(filters=FindingFilters(search="s3.5"))
    by_resource = finding_list(filters=FindingFilters(search=arn))

    assert by_control.plan.search_kind == "control"
    assert by_control.plan.index == "control-index"
    assert ids(by_control.items) == newest_first([f for f in written if f.control_id == "S3.5"])
    assert by_resource.plan.search_kind == "resource"
    assert by_resource.plan.index == "resource-index"
    assert ids(by_resource.items) == newest_first([f for f in written if f.resource_id == arn])


def test_title_words_resolve_to_controls_and_an_exact_title_to_the_title_index(
    written: list[FindingModel],
) -> None:
    guardduty = sample_asff("docs_guardduty_unauthorizedaccess_ec2_sshbruteforce.json")

    words = finding_list(filters=FindingFilters(search="public READ"))
    exact = finding_list(filters=FindingFilters(search=guardduty["Title"].upper()))

    matching = {
        c.control_id
        for c in catalog_controls()
        if all(w in f"{c.control_id} {c.title}".lower() for w in ("public", "read"))
    }
    assert "S3.2" in matching
    assert words.plan.search_kind == "title"
    assert ids(words.items) == newest_first([f for f in written if f.control_id in matching])
    assert "S3.2" in {f.control_id for f in words.items}
    assert "title-index" in exact.plan.index
    assert {f.title for f in exact.items} == {guardduty["Title"]}
    assert len(exact.items) == 4


def test_title_search_pages_through_merged_queries_without_duplicates(
    written: list[FindingModel],
) -> None:
    pages = all_pages(FindingFilters(search="S3"), limit=3)

    controls = {key.removeprefix("control ") for key in pages[0].plan.keys[1:]}
    # Only controls with findings are queried (issue 21: the cap no longer hides them).
    assert controls == {f.control_id for f in written if (f.control_id or "").startswith("S3.")}
    assert {"S3.1", "S3.2", "S3.5"} <= controls
    assert not pages[0].plan.notices
    got = [f.finding_id for p in pages for f in p.items]
    assert got == newest_first([f for f in written if f.control_id in controls])


def test_tampered_or_foreign_cursor_is_a_clear_validation_error(
    written: list[FindingModel],
) -> None:
    first = finding_list(limit=3)
    assert first.next_cursor

    body, signature = first.next_cursor.split(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
    with pytest.raises(InvalidCursorError, match="damaged"):
        finding_list(limit=3, cursor=tampered)
    with pytest.raises(InvalidCursorError, match="damaged"):
        finding_list(limit=3, cursor="not-a-cursor")
    with pytest.raises(InvalidCursorError, match="another view"):
        finding_list(filters=FindingFilters(severity="HIGH"), limit=3, cursor=first.next_cursor)
    assert isinstance(InvalidCursorError("x"), ValidationError)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (FindingFilters(severity="SEVERE"), "Severity must be one of"),
        (FindingFilters(account="1234"), "12-digit"),
        (FindingFilters(record_state="DELETED"), "Record state"),
    ],
)
def test_bad_filter_values_are_validation_errors(filters: FindingFilters, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        finding_list(filters=filters)


def test_bad_sort_and_limit_are_validation_errors() -> None:
    with pytest.raises(ValidationError, match="Sort"):
        finding_list(sort="title")
    with pytest.raises(ValidationError, match="limit"):
        finding_list(limit=0)


def test_finding_get_decodes_the_raw_asff(written: list[FindingModel]) -> None:
    finding = written[3]

    detail = finding_get(finding_id=finding.finding_id)

    assert detail.asff is not None
    assert detail.asff["Id"] == finding.finding_id
    assert detail.asff["Resources"][0]["Id"] == finding.resource_id
    assert detail.asff["Title"] == finding.title
    assert detail.finding.raw == finding.raw
    with pytest.raises(NotFoundError):
        finding_get(finding_id="arn:aws:securityhub:nope")
