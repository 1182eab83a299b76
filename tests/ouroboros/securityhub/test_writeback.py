"""Write-back through the API of each format a finding was seen in: ``BatchUpdateFindings`` for
ASFF, ``BatchUpdateFindingsV2`` (``MetadataUids`` or ``FindingIdentifiers``, ``StatusId``,
``Comment``) for OCSF, narrowed by ``OUROBOROS_SECURITYHUB_V2``.

Security Hub is a botocore Stubber (every request is validated against the service model and
must be exactly the expected one); the stored item is in moto's DynamoDB.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ouroboros.config import reset_config
from ouroboros.findings.services import finding_upsert_batch
from ouroboros.securityhub import writeback
from ouroboros.securityhub.asff import NormalizedFinding
from ouroboros.securityhub.ocsf import ocsf_parse, ocsf_to_asff
from ouroboros.securityhub.writeback import (
    finding_workflow_update,
    ocsf_identity_dump,
    ocsf_identity_of,
    writeback_formats,
)
from tests.conftest import load_event

pytestmark = pytest.mark.functional

SQS = "ocsf/02_shcspm_control_SQS.1_compliance_fail_new.json"
NOTE = "Remediated by Ouroboros reactor sqs-queue-encryption 1.0.0: 1 change(s)"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """The Security Hub client the write-back uses, stubbed; no call may stay unanswered."""
    securityhub = boto3.client("securityhub", region_name="us-east-2")
    monkeypatch.setattr(writeback, "client", lambda service, region=None: securityhub)
    with Stubber(securityhub) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _setting(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("OUROBOROS_SECURITYHUB_V2", value)
    reset_config()


def _ocsf() -> NormalizedFinding:
    return ocsf_parse(load_event(SQS))


def _asff_twin() -> NormalizedFinding:
    """The same finding as Security Hub CSPM gives it (ASFF)."""
    return replace(_ocsf(), ocsf=None, ocsf_raw=None)


def _expect_asff(hub: Stubber, finding: NormalizedFinding, status: str, note: str | None) -> None:
    request: dict[str, Any] = {
        "FindingIdentifiers": [{"Id": finding.finding_id, "ProductArn": finding.product_arn}],
        "Workflow": {"Status": status},
    }
    if note:
        request["Note"] = {"Text": note, "UpdatedBy": "ouroboros"}
    hub.add_response(
        "batch_update_findings",
        {"ProcessedFindings": request["FindingIdentifiers"], "UnprocessedFindings": []},
        request,
    )


def _expect_v2(hub: Stubber, request: dict[str, Any], unprocessed: bool = False) -> None:
    uid = request.get("MetadataUids", ["x"])[0]
    done = [{"MetadataUid": uid}]
    response: dict[str, Any] = {"ProcessedFindings": [], "UnprocessedFindings": []}
    if unprocessed:
        response["UnprocessedFindings"] = [
            {**done[0], "ErrorCode": "ResourceNotFoundException", "ErrorMessage": "gone"}
        ]
    else:
        response["ProcessedFindings"] = done
    hub.add_response("batch_update_findings_v2", response, request)


@pytest.mark.parametrize(
    ("seen", "mode", "written"),
    [
        ({"asff"}, "off", ("asff",)),
        ({"ocsf"}, "off", ("ocsf",)),  # the only way to reach it
        ({"asff", "ocsf"}, "off", ("asff",)),
        ({"asff", "ocsf"}, "on", ("asff", "ocsf")),
        ({"asff", "ocsf"}, "only", ("ocsf",)),
        ({"asff"}, "only", ("asff",)),
    ],
)
def test_the_formats_written(seen: set[str], mode: str, written: tuple[str, ...]) -> None:
    assert writeback_formats(seen, mode) == written


def test_an_ocsf_finding_is_resolved_through_v2_by_its_metadata_uid(
    moto_aws: None, hub: Stubber
) -> None:
    finding = _ocsf()
    uid = load_event(SQS)["metadata"]["uid"]
    _expect_v2(hub, {"MetadataUids": [uid], "StatusId": 2})
    _expect_v2(hub, {"MetadataUids": [uid], "StatusId": 4, "Comment": NOTE})
    assert finding_workflow_update(finding=finding, status="NOTIFIED")
    assert finding_workflow_update(finding=finding, status="RESOLVED", note=NOTE)


def test_without_a_metadata_uid_the_identifier_bridge_is_used(moto_aws: None, hub: Stubber) -> None:
    document = load_event(SQS)
    del document["metadata"]["uid"]
    identifier = {
        "CloudAccountUid": "123456789012",
        "FindingInfoUid": document["finding_info"]["uid"],
        "MetadataProductUid": "arn:aws:securityhub:us-east-2::productv2/aws/securityhub",
    }
    _expect_v2(hub, {"FindingIdentifiers": [identifier], "StatusId": 4})
    assert finding_workflow_update(finding=ocsf_parse(document), status="RESOLVED")


def test_an_unprocessed_v2_update_reports_false(moto_aws: None, hub: Stubber) -> None:
    uid = load_event(SQS)["metadata"]["uid"]
    _expect_v2(hub, {"MetadataUids": [uid], "StatusId": 4}, unprocessed=True)
    assert not finding_workflow_update(finding=_ocsf(), status="RESOLVED")


@pytest.mark.parametrize("mode", ["off", "on", "only"])
def test_a_finding_seen_in_both_formats_is_written_as_the_setting_says(
    moto_aws: None, hub: Stubber, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    _setting(monkeypatch, mode)
    now = datetime(2025, 9, 20, tzinfo=UTC)
    twin = _asff_twin()
    finding_upsert_batch(findings=[twin], now=now)
    finding_upsert_batch(findings=[_ocsf()], now=now)
    uid = load_event(SQS)["metadata"]["uid"]
    if mode != "only":
        _expect_asff(hub, twin, "RESOLVED", NOTE)
    if mode != "off":  # an ASFF event's finding: the V2 handle comes from the stored item
        _expect_v2(hub, {"MetadataUids": [uid], "StatusId": 4, "Comment": NOTE})
    assert finding_workflow_update(finding=twin, status="RESOLVED", note=NOTE)


def test_an_asff_finding_seen_only_as_asff_is_written_as_before(
    moto_aws: None, hub: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setting(monkeypatch, "on")
    twin = _asff_twin()
    _expect_asff(hub, twin, "NOTIFIED", None)
    assert finding_workflow_update(finding=twin, status="NOTIFIED")


def test_the_identity_travels_through_a_dispatch_item_as_json() -> None:
    finding = _ocsf()
    dumped = ocsf_identity_dump(finding)
    assert dumped is not None and dumped["metadata_uid"] == load_event(SQS)["metadata"]["uid"]
    assert ocsf_identity_of(copy.deepcopy(dumped)) == finding.ocsf
    assert ocsf_identity_dump(_asff_twin()) is None
    for bad in (None, "x", {}, {**dumped, "finding_uid": ""}):
        assert ocsf_identity_of(bad) is None
    assert ocsf_to_asff(load_event(SQS))["Id"] == finding.finding_id


def test_a_finding_of_a_linked_region_is_updated_in_the_home_region(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24: a finding aggregated from us-west-2 is written back to the home region's hub
    (us-east-1 here), which replicates the update to us-west-2; never to the finding's region."""
    from tests.strict.workload import securityhub_updates_answered

    regions: list[str] = []
    real = writeback.client

    def recording(service: str, **kwargs: Any) -> Any:
        made = real(service, **kwargs)
        regions.append(made.meta.region_name)
        return made

    monkeypatch.setattr(writeback, "client", recording)
    linked = replace(_asff_twin(), region="us-west-2")
    with securityhub_updates_answered() as requests:
        assert finding_workflow_update(finding=linked, status="RESOLVED", note=NOTE)
    assert regions == ["us-east-1"]
    assert [r["FindingIdentifiers"][0]["Id"] for r in requests] == [linked.finding_id]
