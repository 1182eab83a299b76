"""The findings collector's Security Hub V2 path: ``GetFindingsV2`` (filters, sort, paging, the
watermark) as ``OUROBOROS_SECURITYHUB_V2`` says, and "Findings Imported V2" events.

Security Hub is stubbed with botocore's Stubber (which validates every request against the
service model) returning the real OCSF samples of ``tests/events/ocsf``; DynamoDB is moto.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from ouroboros.aggregates import sync_state_get, sync_state_set
from ouroboros.aws import client
from ouroboros.config import reset_config
from ouroboros.errors import ThrottledError, ValidationError
from ouroboros.models import FindingModel
from ouroboros.securityhub.collect_findings import (
    WATERMARK,
    finding_imported,
    findings_collect,
    findings_sources,
)
from ouroboros.securityhub.ocsf import OcsfValidationError, ocsf_to_asff
from tests.conftest import load_event

pytestmark = pytest.mark.functional

NOW = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
END = "2025-09-20T12:00:00.000Z"
SQS = "ocsf/02_shcspm_control_SQS.1_compliance_fail_new.json"
IAM = "ocsf/03_shcspm_control_IAM.1_compliance_pass_cis_fsbp.json"
SSM = "ocsf/05_shcspm_control_SSM.1_compliance_fail_update_ec2.json"
GUARDDUTY_EVENT = "ocsf/09_guardduty_detection_finding_in_FindingsImportedV2_event.json"
SORT = [{"Field": "finding_info.modified_time_dt", "SortOrder": "asc"}]


@pytest.fixture
def v2(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set ``OUROBOROS_SECURITYHUB_V2`` for the test."""

    def setting(value: str) -> None:
        monkeypatch.setenv("OUROBOROS_SECURITYHUB_V2", value)
        reset_config()

    return setting


def _v2_request(start: str | None, token: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"SortCriteria": SORT, "MaxResults": 100}
    if start:
        window = {"Start": start, "End": END}
        request["Filters"] = {
            "CompositeOperator": "AND",
            "CompositeFilters": [
                {
                    "Operator": "AND",
                    "DateFilters": [
                        {"FieldName": "finding_info.modified_time_dt", "Filter": window}
                    ],
                }
            ],
        }
    if token:
        request["NextToken"] = token
    return request


def _stub_v2(stubber: Stubber, pages: list[list[dict[str, Any]]], start: str | None) -> None:
    for index, page in enumerate(pages):
        response: dict[str, Any] = {"Findings": page}
        if index < len(pages) - 1:
            response["NextToken"] = f"t{index + 1}"
        token = f"t{index}" if index else None
        stubber.add_response("get_findings_v2", response, _v2_request(start, token))


def test_the_setting_picks_the_apis_a_sync_reads(v2: Any) -> None:
    assert findings_sources() == ("GetFindings",)
    v2("on")
    assert findings_sources() == ("GetFindings", "GetFindingsV2")
    v2("only")
    assert findings_sources() == ("GetFindingsV2",)
    v2("sometimes")
    with pytest.raises(ValueError, match="OUROBOROS_SECURITYHUB_V2='sometimes'"):
        findings_sources()


def test_v2_only_pages_through_get_findings_v2_then_syncs_from_the_watermark(
    moto_aws: None, v2: Any
) -> None:
    v2("only")
    hub = client("securityhub")
    sqs, iam, ssm = load_event(SQS), load_event(IAM), load_event(SSM)
    with Stubber(hub) as stubber:  # full: no date filter, oldest first, 100 a page
        _stub_v2(stubber, [[sqs, iam], [ssm]], start=None)
        first = findings_collect(client=hub, now=NOW)
        stubber.assert_no_pending_responses()
    assert (first.sources, first.mode, first.pages, first.read, first.written) == (
        ["GetFindingsV2"],
        "full",
        2,
        3,
        3,
    )
    assert sync_state_get(WATERMARK) == END
    stored = FindingModel.get(sqs["finding_info"]["uid"])
    assert (stored.control_id, stored.compliance_status, stored.workflow_status) == (
        "SQS.1",
        "FAILED",
        "NEW",
    )

    resolved = copy.deepcopy(sqs)
    resolved.update(status="Resolved", status_id=4)
    resolved["finding_info"]["modified_time_dt"] = "2025-09-20T11:59:00.000Z"
    with Stubber(hub) as stubber:  # incremental: the same watermark, minus the overlap
        _stub_v2(stubber, [[resolved, iam]], start="2025-09-20T11:55:00.000Z")
        second = findings_collect(client=hub, now=NOW)
        stubber.assert_no_pending_responses()
    assert (second.mode, second.written, second.unchanged) == ("incremental", 1, 1)
    assert FindingModel.get(sqs["finding_info"]["uid"]).workflow_status == "RESOLVED"


def test_v2_on_reads_both_apis_into_one_item_per_finding(moto_aws: None, v2: Any) -> None:
    v2("on")
    sync_state_set(WATERMARK, "2025-09-20T11:00:00.000Z")
    hub = client("securityhub")
    sqs = load_event(SQS)
    twin = ocsf_to_asff(sqs)  # the same control finding, as Security Hub CSPM gives it
    start = "2025-09-20T10:55:00.000Z"
    with Stubber(hub) as stubber:
        asff_filters = {
            "RecordState": [
                {"Value": "ACTIVE", "Comparison": "EQUALS"},
                {"Value": "ARCHIVED", "Comparison": "EQUALS"},
            ],
            "UpdatedAt": [{"Start": start, "End": END}],
        }
        stubber.add_response(
            "get_findings",
            {"Findings": [twin]},
            {
                "Filters": asff_filters,
                "SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "asc"}],
                "MaxResults": 100,
            },
        )
        _stub_v2(stubber, [[sqs]], start=start)
        report = findings_collect(client=hub, now=NOW)
        stubber.assert_no_pending_responses()
    assert report.sources == ["GetFindings", "GetFindingsV2"]
    assert report.read == 2
    items = list(FindingModel.scan())
    assert [i.finding_id for i in items] == [sqs["finding_info"]["uid"]]


def test_v2_throttling_keeps_the_watermark(moto_aws: None, v2: Any) -> None:
    v2("only")
    sync_state_set(WATERMARK, "2025-09-20T11:00:00.000Z")
    hub = client("securityhub")
    with Stubber(hub) as stubber:
        stubber.add_client_error("get_findings_v2", "ThrottlingException", http_status_code=429)
        with pytest.raises(ThrottledError, match="GetFindingsV2"):
            findings_collect(client=hub, now=NOW)
    assert sync_state_get(WATERMARK) == "2025-09-20T11:00:00.000Z"


def _imported_v2(finding: dict[str, Any]) -> dict[str, Any]:
    """Sample 09's real envelope around another OCSF finding."""
    event = load_event(GUARDDUTY_EVENT)
    event["resources"] = [finding["metadata"]["uid"]]
    event["detail"] = {"findings": [finding]}
    return event


def test_a_findings_imported_v2_event_upserts_its_findings(moto_aws: None) -> None:
    guardduty = load_event(GUARDDUTY_EVENT)
    assert finding_imported(event=guardduty, now=NOW).written == 1
    stored = FindingModel.get(guardduty["detail"]["findings"][0]["finding_info"]["uid"])
    assert stored.control_id is None

    sqs = load_event(SQS)
    report = finding_imported(event=_imported_v2(sqs), now=NOW)
    assert (report.received, report.written) == (1, 1)
    assert FindingModel.get(sqs["finding_info"]["uid"]).control_id == "SQS.1"
    assert finding_imported(event=_imported_v2(sqs), now=NOW).unchanged == 1


def test_a_v2_event_stores_the_valid_findings_then_names_the_bad_ocsf_field(
    moto_aws: None,
) -> None:
    sqs, bad = load_event(SQS), load_event(SSM)
    del bad["finding_info"]["title"]
    event = _imported_v2(sqs)
    event["detail"]["findings"].append(bad)
    with pytest.raises(OcsfValidationError, match=r"OCSF field finding_info.title") as info:
        finding_imported(event=event, now=NOW)
    assert "1 of 2" in str(info.value)
    assert FindingModel.get(sqs["finding_info"]["uid"]).control_id == "SQS.1"


def test_an_unknown_detail_type_is_still_refused(moto_aws: None) -> None:
    event = _imported_v2(load_event(SQS))
    event["detail-type"] = "Findings Imported V3"
    with pytest.raises(ValidationError, match="not a Security Hub findings event"):
        finding_imported(event=event, now=NOW)
