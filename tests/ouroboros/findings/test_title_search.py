"""Words inside the title of a finding WITHOUT a control are found (``findings#title``).

The findings go through the collector's writer (`finding_upsert_batch`), which keeps the
``findings#title`` aggregate; the search resolves words against it and reads ``title-index``.
Data: the real GuardDuty SSH brute force sample (docs, see tests/events/SOURCES.md), with
variants whose titles name other addresses and protocols, and the control samples.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ouroboros.aggregates import aggregate_read
from ouroboros.aggregates.rebuild import aggregates_rebuild
from ouroboros.findings.selectors import FindingFilters, control_titles_reset, finding_list
from ouroboros.findings.services import finding_upsert_batch
from ouroboros.securityhub.catalog import catalog_controls
from tests.control_catalog import catalog_loaded
from tests.findings_factory import sample_asff
from tests.ouroboros.findings.conftest import parsed, sample_raws, variant

pytestmark = pytest.mark.integration

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
GUARDDUTY = "docs_guardduty_unauthorizedaccess_ec2_sshbruteforce.json"


def _guardduty(n: int, title: str, **changes: Any) -> dict[str, Any]:
    raw = sample_asff(GUARDDUTY)
    return variant(raw, n, Title=title, UpdatedAt=f"2024-04-{10 + n:02d}T00:00:00.000Z", **changes)


@pytest.fixture
def stored(ddb_tables: str) -> list[dict[str, Any]]:
    catalog_loaded(controls=catalog_controls())
    raws = [
        *sample_raws(),
        _guardduty(1, "10.0.0.1 is performing SSH brute force attacks against i-1."),
        _guardduty(2, "10.0.0.2 is performing RDP brute force attacks against i-2."),
        _guardduty(3, "10.0.0.3 is performing RDP brute force attacks against i-3."),
        _guardduty(
            4, "10.0.0.4 is performing SSH brute force attacks against i-4.", RecordState="ARCHIVED"
        ),
    ]
    finding_upsert_batch(findings=parsed(raws), now=NOW)
    control_titles_reset()
    return raws


def _ids(page: Any) -> list[str]:
    return [f.finding_id for f in page.items]


def test_words_inside_titles_of_findings_without_a_control_are_found(
    stored: list[dict[str, Any]],
) -> None:
    page = finding_list(filters=FindingFilters(search="Brute force"))
    rdp = finding_list(filters=FindingFilters(search="rdp BRUTE"))
    archived = finding_list(filters=FindingFilters(search="brute force", record_state="ARCHIVED"))

    active_brute = [
        r for r in stored if "brute force" in r["Title"].lower() and r["RecordState"] == "ACTIVE"
    ]
    newest_first = sorted(active_brute, key=lambda r: r["UpdatedAt"], reverse=True)
    assert page.plan.search_kind == "title"
    assert _ids(page) == [r["Id"] for r in newest_first]
    assert len(page.items) == 4  # the sample and three active variants; not the archived one
    assert {f.control_id for f in page.items} == {None}
    assert _ids(rdp) == [stored[-2]["Id"], stored[-3]["Id"]]
    assert _ids(archived) == [stored[-1]["Id"]]


def test_the_writer_counts_distinct_titles_and_moves_them_with_the_finding(
    stored: list[dict[str, Any]],
) -> None:
    titles = aggregate_read("findings#title")
    original = sample_asff(GUARDDUTY)["Title"].lower()
    assert titles == {
        f"ACTIVE#{original}": 1,
        "ACTIVE#10.0.0.1 is performing ssh brute force attacks against i-1.": 1,
        "ACTIVE#10.0.0.2 is performing rdp brute force attacks against i-2.": 1,
        "ACTIVE#10.0.0.3 is performing rdp brute force attacks against i-3.": 1,
        "ARCHIVED#10.0.0.4 is performing ssh brute force attacks against i-4.": 1,
    }  # findings with a control (the 13 other samples) are not counted here

    # GuardDuty renames one finding (a new address) and archives another (10.0.0.3, RDP).
    renamed = _guardduty(1, "10.0.0.9 is performing SSH brute force attacks against i-1.")
    renamed["UpdatedAt"] = "2024-04-30T00:00:00.000Z"
    gone = dict(stored[-2], RecordState="ARCHIVED", UpdatedAt="2024-04-30T00:00:00.000Z")
    finding_upsert_batch(findings=parsed([renamed, gone]), now=NOW)
    control_titles_reset()

    after = {k: v for k, v in aggregate_read("findings#title").items() if v}
    assert "ACTIVE#10.0.0.1 is performing ssh brute force attacks against i-1." not in after
    assert after["ACTIVE#10.0.0.9 is performing ssh brute force attacks against i-1."] == 1
    assert "ACTIVE#10.0.0.3 is performing rdp brute force attacks against i-3." not in after
    assert after["ARCHIVED#10.0.0.3 is performing rdp brute force attacks against i-3."] == 1
    assert _ids(finding_list(filters=FindingFilters(search="rdp brute"))) == [stored[-3]["Id"]]
    assert _ids(finding_list(filters=FindingFilters(search="10.0.0.9 ssh"))) == [renamed["Id"]]
    # The rebuild recounts the same buckets from the items: nothing drifted.
    assert aggregates_rebuild(check=True).drift == []


def test_more_matching_titles_than_queried_says_so_and_keeps_the_most_common(
    ddb_tables: str,
) -> None:
    probes = [_guardduty(n, f"Port probe from 10.1.0.{n} on i-{n}.") for n in range(1, 11)]
    common = "Port probe from 10.9.9.9 on many instances."
    probes += [_guardduty(11 + n, common) for n in range(3)]
    finding_upsert_batch(findings=parsed(probes), now=NOW)
    control_titles_reset()

    page = finding_list(filters=FindingFilters(search="port probe"), limit=50)

    queried = [
        k for k in page.plan.keys if k.startswith("title = ") and k != "title = 'port probe'"
    ]
    assert len(queried) == 8
    assert queried[0] == f"title = {common.lower()!r}"  # three findings: the most common first
    assert "11 titles of findings without a control have these words" in page.plan.notices[0]
    shown = {f.title for f in page.items}
    assert common in shown
    assert len(page.items) == 3 + 7  # the common title's three, one each of seven others
