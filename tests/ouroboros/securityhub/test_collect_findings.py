"""The findings collector: full and incremental sync, paging, throttling, re-runs; Imported events.

Security Hub is stubbed (botocore Stubber, or a ``before-send`` hook where botocore's own retries
must run) with responses built from the real samples; DynamoDB is moto.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.stub import Stubber

from ouroboros.aggregates import aggregate_read, sync_state_get, sync_state_set
from ouroboros.aws import RETRY_CONFIG, client
from ouroboros.errors import ThrottledError, ValidationError
from ouroboros.models import FindingModel
from ouroboros.securityhub.asff import AsffValidationError
from ouroboros.securityhub.collect_findings import (
    WATERMARK,
    finding_imported,
    findings_collect,
    findings_ingest,
)
from tests.conftest import load_event
from tests.ouroboros.findings.conftest import sample_raws, variant
from tests.reliability.faults import retry_waits_recorded

pytestmark = pytest.mark.functional

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _request(start: str | None, token: str | None = None) -> dict[str, Any]:
    updated = {"End": "2024-05-01T12:00:00.000Z"}
    if start:
        updated["Start"] = start
    request: dict[str, Any] = {
        "Filters": {
            "RecordState": [
                {"Value": "ACTIVE", "Comparison": "EQUALS"},
                {"Value": "ARCHIVED", "Comparison": "EQUALS"},
            ],
            "UpdatedAt": [updated],
        },
        "SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "asc"}],
        "MaxResults": 100,
    }
    if token:
        request["NextToken"] = token
    return request


def _stub_pages(stubber: Stubber, pages: list[list[dict[str, Any]]], start: str | None) -> None:
    for index, page in enumerate(pages):
        response: dict[str, Any] = {"Findings": page}
        if index < len(pages) - 1:
            response["NextToken"] = f"t{index + 1}"
        stubber.add_response(
            "get_findings", response, _request(start, f"t{index}" if index else None)
        )


def test_full_then_incremental_then_unchanged(moto_aws: None) -> None:
    hub = client("securityhub")
    raws = sample_raws()
    with Stubber(hub) as stubber:
        _stub_pages(stubber, [raws[:10], raws[10:]], start=None)
        first = findings_collect(client=hub, now=NOW)
        stubber.assert_no_pending_responses()
    assert (first.mode, first.pages, first.read, first.written) == ("full", 2, 18, 18)
    assert sync_state_get(WATERMARK) == "2024-05-01T12:00:00.000Z"
    assert aggregate_read("findings#state") == {"ACTIVE": 18}

    changed = variant(raws[3], 0, UpdatedAt="2024-05-01T11:59:00Z", RecordState="ARCHIVED")
    changed["Id"] = raws[3]["Id"]
    with Stubber(hub) as stubber:
        # Incremental: from the watermark minus the 5-minute overlap.
        _stub_pages(stubber, [[changed, raws[4]]], start="2024-05-01T11:55:00.000Z")
        second = findings_collect(client=hub, now=NOW)
        stubber.assert_no_pending_responses()
    assert (second.mode, second.read, second.written, second.unchanged) == (
        "incremental",
        2,
        1,
        1,
    )
    assert FindingModel.get(raws[3]["Id"]).record_state == "ARCHIVED"
    assert aggregate_read("findings#state") == {"ACTIVE": 17, "ARCHIVED": 1}


def test_full_flag_ignores_the_watermark(moto_aws: None) -> None:
    sync_state_set(WATERMARK, "2024-04-01T00:00:00.000Z")
    hub = client("securityhub")
    with Stubber(hub) as stubber:
        _stub_pages(stubber, [sample_raws()[:3]], start=None)
        report = findings_collect(full=True, client=hub, now=NOW)
    assert (report.mode, report.written) == ("full", 3)


def test_malformed_findings_are_counted_and_skipped(moto_aws: None) -> None:
    raws = sample_raws()[:3]
    broken = dict(raws[0], Id="broken")
    broken.pop("Resources")
    report = findings_ingest(pages=[[broken, *raws[1:]]], now=NOW)
    assert (report.read, report.invalid, report.written) == (3, 1, 2)


def test_batches_are_split_and_all_written(moto_aws: None) -> None:
    raws = [variant(r, i) for i in range(6) for r in sample_raws()]  # 108 findings
    pages = [raws[i : i + 25] for i in range(0, len(raws), 25)]
    report = findings_ingest(pages=pages, now=NOW, batch_size=30)
    assert (report.pages, report.read, report.written, report.unchanged) == (5, 108, 108, 0)
    again = findings_ingest(pages=pages, now=NOW, batch_size=30)
    assert (again.written, again.unchanged) == (0, 108)


class _ThrottleThenServe:
    """A ``before-send`` hook: answers GetFindings with HTTP 429 ThrottlingException ``times``
    times, then with a real GetFindings body, so botocore's own adaptive retries run."""

    def __init__(self, times: int, findings: list[dict[str, Any]]) -> None:
        self.times, self.findings, self.calls = times, findings, 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        self.calls += 1
        if self.calls <= self.times:
            return _response(request.url, 429, {"__type": "ThrottlingException", "message": "x"})
        return _response(request.url, 200, {"Findings": self.findings})


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def _response(url: str, status: int, body: dict[str, Any]) -> AWSResponse:
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if status != 200:
        headers["x-amzn-ErrorType"] = str(body["__type"])
    response = AWSResponse(url, status, headers, _Body(data))
    response._content = data
    return response


def _securityhub(max_attempts: int) -> Any:
    config = RETRY_CONFIG.merge(Config(retries={"mode": "adaptive", "max_attempts": max_attempts}))
    return boto3.client("securityhub", region_name="us-east-1", config=config)


def test_throttling_is_retried_and_nothing_is_lost(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    backoffs = retry_waits_recorded(monkeypatch)  # recorded instead of slept
    hub = _securityhub(max_attempts=5)
    hook = _ThrottleThenServe(2, sample_raws())
    hub.meta.events.register_first("before-send.securityhub.GetFindings", hook)
    report = findings_collect(client=hub, now=NOW)
    assert hook.calls == 3
    assert len(backoffs) == 2
    assert report.written == 18
    assert len(list(FindingModel.scan())) == 18


def test_throttling_that_never_ends_keeps_the_watermark(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    retry_waits_recorded(monkeypatch)  # back-offs and the rate limiter's waits are not slept
    sync_state_set(WATERMARK, "2024-04-01T00:00:00.000Z")
    hub = _securityhub(max_attempts=2)
    hub.meta.events.register_first(
        "before-send.securityhub.GetFindings", _ThrottleThenServe(99, [])
    )
    with pytest.raises(ThrottledError):
        findings_collect(client=hub, now=NOW)
    assert sync_state_get(WATERMARK) == "2024-04-01T00:00:00.000Z"


def test_imported_event_upserts_its_finding(moto_aws: None) -> None:
    event = load_event("eventbridge_events/asr_imported_cis120_1.3.json")
    report = finding_imported(event=event, now=NOW)
    assert (report.received, report.written) == (1, 1)
    stored = FindingModel.get(event["detail"]["findings"][0]["Id"])
    assert (stored.control_id, stored.compliance_status) == ("IAM.8", "WARNING")
    assert finding_imported(event=event, now=NOW).unchanged == 1


def test_imported_event_with_several_findings_upserts_each(moto_aws: None) -> None:
    event = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")
    other = load_event("eventbridge_events/asr_imported_cis120_1.3.json")
    event["detail"]["findings"] += other["detail"]["findings"]
    assert finding_imported(event=event, now=NOW).written == 2
    assert aggregate_read("findings#control") == {"ACTIVE#EC2.7": 1, "ACTIVE#IAM.8": 1}


def test_imported_event_stores_the_valid_findings_then_fails(moto_aws: None) -> None:
    event = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")
    bad = dict(event["detail"]["findings"][0], Id="bad")
    bad.pop("AwsAccountId")
    event["detail"]["findings"].append(bad)
    with pytest.raises(AsffValidationError, match="AwsAccountId") as info:
        finding_imported(event=event, now=NOW)
    assert "1 of 2" in str(info.value)
    assert FindingModel.get(event["detail"]["findings"][0]["Id"]).control_id == "EC2.7"


@pytest.mark.parametrize(
    "event",
    [
        [],
        {"detail-type": "Scheduled Event", "detail": {}},
        {"detail-type": "Security Hub Findings - Imported", "detail": {"findings": "x"}},
    ],
)
def test_not_a_findings_event(event: Any) -> None:
    with pytest.raises(ValidationError):
        finding_imported(event=event, now=NOW)
