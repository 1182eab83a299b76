"""One item for both formats (issue 22): a finding seen as ASFF and as OCSF is one item and one row.

Each format keeps its own raw document and content hash, so alternating collections write nothing
when neither changed; the normalized fields (and the aggregates) follow the newer document.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from ouroboros.aggregates import aggregate_read
from ouroboros.aws import client
from ouroboros.findings.items import (
    finding_formats,
    finding_item_build,
    finding_ocsf_raw,
    finding_raw,
)
from ouroboros.findings.selectors import finding_get, finding_list
from ouroboros.findings.services import finding_upsert_batch
from ouroboros.models import ControlModel, FindingModel
from ouroboros.securityhub.asff import asff_parse
from ouroboros.securityhub.ocsf import ocsf_parse, ocsf_to_asff
from tests.ouroboros.findings.conftest import WriteCounter
from tests.ouroboros.securityhub.test_ocsf import (
    PROWLER,
    SQS1,
    TWINS,
    asff_twin,
    ocsf_sample,
)

pytestmark = pytest.mark.functional

NOW = datetime(2025, 10, 1, 12, 0, tzinfo=UTC)
LATER = "2025-09-20T10:00:00.000Z"  # after both copies of SQS.1 (2025-09-19T09:17:27.903Z)


def _asff(**changes: Any) -> dict[str, Any]:
    twin = asff_twin(ocsf_sample(SQS1), **TWINS[SQS1])
    twin.update(changes)
    return twin


def _ocsf(modified: str | None = None, **changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(ocsf_sample(SQS1))
    if modified:
        document["finding_info"]["modified_time_dt"] = modified
    document.update(changes)
    return document


def _upsert(*documents: dict[str, Any]) -> Any:
    findings = [ocsf_parse(d) if "finding_info" in d else asff_parse(d) for d in documents]
    return finding_upsert_batch(findings=findings, now=NOW)


def _stored() -> FindingModel:
    return FindingModel.get(ocsf_sample(SQS1)["finding_info"]["uid"])


def _counts() -> tuple[dict[str, int], dict[str, int], int]:
    """Findings by state and by compliance (buckets above zero), SQS.1's ``failed_count``."""

    def read(aggregate_id: str) -> dict[str, int]:
        return {bucket: n for bucket, n in aggregate_read(aggregate_id).items() if n}

    control = ControlModel.get("SQS.1", "CONTROL")
    return read("findings#state"), read("findings#compliance"), int(control.failed_count or 0)


def test_asff_then_ocsf_is_one_item_with_both_documents(moto_aws: None) -> None:
    ControlModel("SQS.1", severity="MEDIUM", title="t").save()
    _upsert(_asff())

    report = _upsert(_ocsf())

    assert (report.written, report.created) == (1, 0)
    stored = _stored()
    assert finding_formats(stored) == ["asff", "ocsf"]
    assert stored.source_format == "ocsf"  # same update time: the arriving document
    assert stored.content_hash and stored.content_hash_ocsf
    assert stored.content_hash != stored.content_hash_ocsf
    assert finding_ocsf_raw(stored) == ocsf_sample(SQS1)
    assert stored.metadata_uid == ocsf_sample(SQS1)["metadata"]["uid"]
    assert stored.ocsf_product_uid == "arn:aws:securityhub:us-east-2::productv2/aws/securityhub"
    assert (stored.ocsf_status_id, stored.ocsf_status) == (1, "New")
    assert stored.asff_updated_at == stored.ocsf_updated_at == "2025-09-19T09:17:27.903Z"
    assert _counts() == ({"ACTIVE": 1}, {"ACTIVE#FAILED": 1}, 1)  # one row, counted once
    assert [f.finding_id for f in finding_list().items] == [stored.finding_id]


def test_alternating_unchanged_collections_write_nothing(
    moto_aws: None, writes: WriteCounter
) -> None:
    _upsert(_ocsf())
    _upsert(_asff())
    writes.calls.clear()

    reports = [_upsert(_asff()), _upsert(_ocsf()), _upsert(_asff(), _ocsf())]

    assert [(r.written, r.unchanged) for r in reports] == [(0, 1), (0, 1), (0, 2)]
    assert writes.total == 0


def test_both_formats_in_one_batch_make_one_item(moto_aws: None) -> None:
    report = _upsert(_asff(), _ocsf())

    assert (report.received, report.written, report.created) == (2, 2, 1)
    assert finding_formats(_stored()) == ["asff", "ocsf"]
    assert aggregate_read("findings#state") == {"ACTIVE": 1}


def test_the_newer_document_gives_the_normalized_fields(moto_aws: None) -> None:
    ControlModel("SQS.1", severity="MEDIUM", title="t").save()
    _upsert(_asff(), _ocsf())
    fixed = _ocsf(LATER, status_id=4, status="Resolved")
    fixed["compliance"] = {**fixed["compliance"], "status_id": 1, "status": "Pass"}

    _upsert(fixed)  # V2 saw the fix first

    stored = _stored()
    assert (stored.compliance_status, stored.workflow_status, stored.updated_at) == (
        "PASSED",
        "RESOLVED",
        LATER,
    )
    assert (stored.source_format, stored.ocsf_status_id, stored.ocsf_status) == (
        "ocsf",
        4,
        "Resolved",
    )
    assert finding_raw(stored) == ocsf_to_asff(fixed)  # reactors get the newer, as ASFF
    assert _counts() == ({"ACTIVE": 1}, {"ACTIVE#PASSED": 1}, 0)

    older = _asff(Note={"Text": "seen", "UpdatedBy": "x", "UpdatedAt": "2025-09-19T10:00:00Z"})
    report = _upsert(older)  # a change of the older ASFF copy: stored, but it does not win

    assert report.written == 1
    stored = _stored()
    assert stored.compliance_status == "PASSED" and stored.source_format == "ocsf"
    assert stored.asff_updated_at == "2025-09-19T09:17:27.903Z"
    assert stored.ocsf_updated_at == LATER
    assert _counts() == ({"ACTIVE": 1}, {"ACTIVE#PASSED": 1}, 0)
    assert _upsert(older).unchanged == 1


def test_the_asff_copy_wins_when_it_is_newer(moto_aws: None) -> None:
    _upsert(_ocsf(), _asff())

    _upsert(_asff(UpdatedAt=LATER, Workflow={"Status": "NOTIFIED"}))

    stored = _stored()
    assert (stored.source_format, stored.workflow_status, stored.updated_at) == (
        "asff",
        "NOTIFIED",
        LATER,
    )
    assert stored.metadata_uid == ocsf_sample(SQS1)["metadata"]["uid"]  # the OCSF side stays
    assert finding_ocsf_raw(stored) == ocsf_sample(SQS1)
    assert finding_raw(stored)["Workflow"] == {"Status": "NOTIFIED"}


def test_an_older_document_of_the_same_format_is_stale(moto_aws: None) -> None:
    _upsert(_ocsf(LATER))

    report = _upsert(_ocsf(status_id=2, status="In Progress"))

    assert (report.written, report.stale) == (0, 1)
    assert _stored().ocsf_status_id == 1


def test_the_rewrite_keeps_last_remediation(moto_aws: None) -> None:
    _upsert(_asff())
    stored = _stored()
    attempt = {"execution_id": "e1", "status": "succeeded", "at": NOW}
    stored.update(actions=[FindingModel.last_remediation.set(attempt)])

    _upsert(_ocsf(LATER))

    assert _stored().last_remediation.execution_id == "e1"


def test_an_ocsf_only_finding_reads_as_asff(moto_aws: None) -> None:
    _upsert(_ocsf())

    stored = _stored()
    assert finding_formats(stored) == ["ocsf"] and stored.raw is None
    assert asff_parse(finding_raw(stored)).control_id == "SQS.1"
    assert finding_get(finding_id=stored.finding_id).asff == ocsf_to_asff(ocsf_sample(SQS1))


def test_the_prowler_sample_is_stored(moto_aws: None) -> None:
    report = _upsert(ocsf_sample(PROWLER))

    assert report.created == 1
    stored = FindingModel.get("<finding_uid>")
    assert (stored.account_id, stored.product_arn) == ("<account_uid>", "prowler")
    assert finding_formats(stored) == ["ocsf"]


def test_items_written_before_ocsf_support_keep_working(
    moto_aws: None, writes: WriteCounter
) -> None:
    old = finding_item_build(asff_parse(_asff()), now=NOW).item
    for name in ("formats", "source_format"):
        del old[name]
    client("dynamodb").put_item(TableName=FindingModel.Meta.table_name, Item=old)
    assert finding_formats(_stored()) == ["asff"]
    writes.calls.clear()

    assert _upsert(_asff()).unchanged == 1
    assert writes.total == 0
    _upsert(_ocsf())

    stored = _stored()
    assert finding_formats(stored) == ["asff", "ocsf"]
    assert stored.content_hash == old["content_hash"]["S"]
    assert asff_parse(finding_raw(stored)).finding_id == stored.finding_id
