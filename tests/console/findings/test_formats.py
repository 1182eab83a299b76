"""The console and the API say which format(s) a finding came from and its Security Hub V2 status.

One control finding stored from its ASFF twin, then from the real OCSF sample (one item, both
formats), beside an ASFF-only finding; an item stored before OCSF support (no ``formats``) and a
finding seen in Security Hub V2 only read as well.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from ouroboros.findings.services import finding_upsert_batch
from ouroboros.models import FindingModel
from ouroboros.securityhub.ocsf import ocsf_parse
from tests.conftest import load_event
from tests.console.conftest import logged_in

SQS = "ocsf/02_shcspm_control_SQS.1_compliance_fail_new.json"
NOW = datetime(2025, 9, 20, tzinfo=UTC)


@pytest.fixture
def both(moto_aws: None) -> tuple[str, str]:
    """(id of the finding seen as ASFF and OCSF, id of an ASFF-only finding)."""
    ocsf = ocsf_parse(load_event(SQS))
    asff = replace(ocsf, ocsf=None, ocsf_raw=None)
    other_raw = {**asff.raw, "Id": asff.finding_id + "-asff-only"}
    other = replace(asff, finding_id=other_raw["Id"], raw=other_raw)
    finding_upsert_batch(findings=[asff, other], now=NOW)
    finding_upsert_batch(findings=[ocsf], now=NOW)
    return ocsf.finding_id, other.finding_id


@pytest.mark.django_db
def test_the_api_gives_formats_and_the_v2_status(both: tuple[str, str]) -> None:
    twin, asff_only = both
    viewer = logged_in("vera", "viewer")
    detail = viewer.get(f"/api/v1/findings/{quote(twin, safe='')}").json()
    assert sorted(detail["formats"]) == ["asff", "ocsf"]
    assert (detail["v2_status"], detail["v2_status_id"]) == ("New", 1)
    assert detail["metadata_uid"] == load_event(SQS)["metadata"]["uid"]
    plain = viewer.get(f"/api/v1/findings/{quote(asff_only, safe='')}").json()
    assert (plain["formats"], plain["v2_status"], plain["metadata_uid"]) == (["asff"], None, None)

    rows = {r["finding_id"]: r for r in viewer.get("/api/v1/findings").json()["results"]}
    assert sorted(rows[twin]["formats"]) == ["asff", "ocsf"]
    assert rows[twin]["v2_status"] == "New"
    assert rows[asff_only]["formats"] == ["asff"]


@pytest.mark.django_db
def test_the_pages_show_formats_and_the_v2_status(both: tuple[str, str]) -> None:
    twin, asff_only = both
    viewer = logged_in("vera", "viewer")
    page = viewer.get("/findings/detail/", {"id": twin}).content.decode()
    assert ">ASFF</span>" in page and ">OCSF</span>" in page
    assert 'id="finding-v2-status">New' in page
    plain = viewer.get("/findings/detail/", {"id": asff_only}).content.decode()
    assert ">OCSF</span>" not in plain and "finding-v2-status" not in plain

    listed = viewer.get("/findings/").content.decode()
    assert listed.count('title="Security Hub V2 (OCSF): New">V2</span>') == 1


SSM = "ocsf/05_shcspm_control_SSM.1_compliance_fail_update_ec2.json"


@pytest.fixture
def legacy_and_ocsf_only(moto_aws: None) -> tuple[str, str]:
    """(id of an item stored before OCSF support: no ``formats`` nor ``source_format``, id of a
    finding seen in Security Hub V2 only)."""
    asff = replace(ocsf_parse(load_event(SQS)), ocsf=None, ocsf_raw=None)
    ocsf_only = ocsf_parse(load_event(SSM))
    finding_upsert_batch(findings=[asff, ocsf_only], now=NOW)
    FindingModel.get(asff.finding_id).update(
        actions=[FindingModel.formats.remove(), FindingModel.source_format.remove()]
    )
    assert FindingModel.get(asff.finding_id).formats is None  # as a legacy item reads
    return asff.finding_id, ocsf_only.finding_id


@pytest.mark.django_db
def test_a_legacy_item_and_an_ocsf_only_finding_read_on_the_api_and_pages(
    legacy_and_ocsf_only: tuple[str, str],
) -> None:
    legacy, ocsf_only = legacy_and_ocsf_only
    viewer = logged_in("vera", "viewer")
    old = viewer.get(f"/api/v1/findings/{quote(legacy, safe='')}").json()
    assert old["formats"] == ["asff"]
    assert old["asff"]["Id"] == legacy
    v2 = viewer.get(f"/api/v1/findings/{quote(ocsf_only, safe='')}").json()
    assert v2["formats"] == ["ocsf"]
    assert v2["asff"]["Id"] == ocsf_only  # the ASFF-shaped conversion of the OCSF document
    rows = {r["finding_id"]: r["formats"] for r in viewer.get("/api/v1/findings").json()["results"]}
    assert rows == {legacy: ["asff"], ocsf_only: ["ocsf"]}

    page = viewer.get("/findings/detail/", {"id": legacy})
    assert page.status_code == 200
    assert ">ASFF</span>" in page.content.decode() and ">OCSF</span>" not in page.content.decode()
    page = viewer.get("/findings/detail/", {"id": ocsf_only})
    assert page.status_code == 200
    assert ">OCSF</span>" in page.content.decode() and ">ASFF</span>" not in page.content.decode()
    listed = viewer.get("/findings/").content.decode()
    assert listed.count(">V2</span>") == 1
