"""The local Security Hub over HTTP, driven by plain boto3 clients (functional tier)."""

from __future__ import annotations

import copy
import selectors
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.bus import EventBus, EventBusExtension
from emulator.securityhub_server import SecurityHubExtension
from ouroboros.aws import client, reset_sessions
from ouroboros.config import reset_config
from ouroboros.securityhub.catalog import FSBP_STANDARD_ARN, catalog_controls
from tests.conftest import EVENTS_DIR, load_event
from tests.emulator.securityhub_samples import (
    BASE_TIME,
    FakeRuntime,
    identifier,
    sample_finding,
    stamp,
)

pytestmark = pytest.mark.functional


@dataclass
class Hub:
    url: str
    client: Any
    bus: EventBus
    events: list[dict[str, Any]]
    extension: SecurityHubExtension


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    runtime = FakeRuntime(tmp_path)
    bus_extension, hub_extension = EventBusExtension(mirror_moto=False), SecurityHubExtension()
    bus_extension.start(runtime)  # type: ignore[arg-type]
    hub_extension.start(runtime)  # type: ignore[arg-type]
    try:
        assert bus_extension.bus is not None
        events: list[dict[str, Any]] = []
        bus_extension.bus.subscribe("all", {"source": ["aws.securityhub"]}, events.append)
        url = runtime.published["securityhub"]
        securityhub = boto3.client("securityhub", endpoint_url=url, region_name="us-east-1")
        yield Hub(url, securityhub, bus_extension.bus, events, hub_extension)
    finally:
        hub_extension.stop()
        bus_extension.stop()


def _all_findings(hub: Hub, **kwargs: Any) -> list[dict[str, Any]]:
    pages = hub.client.get_paginator("get_findings").paginate(**kwargs)
    return [finding for page in pages for finding in page["Findings"]]


def test_every_real_sample_goes_through_boto3_and_emits_one_event_each(hub: Hub) -> None:
    findings = [
        load_event(f"asff_findings/{path.name}")
        for path in sorted((EVENTS_DIR / "asff_findings").glob("*.json"))
    ]
    response = hub.client.batch_import_findings(Findings=findings)
    assert (response["SuccessCount"], response["FailedCount"]) == (len(findings), 0)
    assert hub.bus.wait_idle(10)
    assert len(hub.events) == len(findings)
    envelope = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")
    for event, finding in zip(hub.events, findings, strict=True):
        assert set(event) == set(envelope)
        assert event["detail-type"] == "Security Hub Findings - Imported"
        assert event["resources"] == [f"{finding['ProductArn']}/{finding['Id']}"]
        assert event["detail"]["findings"][0]["Id"] == finding["Id"]
    assert len(_all_findings(hub)) == len(findings)


def test_filters_and_pagination_over_http(hub: Hub) -> None:
    findings = [
        sample_finding(
            number=n,
            minutes=n,
            Compliance={"Status": "FAILED" if n % 3 else "PASSED"},
            RecordState="ARCHIVED" if n == 7 else "ACTIVE",
        )
        for n in range(30)
    ]
    hub.client.batch_import_findings(Findings=findings)
    wanted = [f["Id"] for n, f in enumerate(findings) if n % 3 and n != 7 and 5 <= n <= 25]
    got = _all_findings(
        hub,
        Filters={
            "ComplianceStatus": [{"Value": "FAILED", "Comparison": "EQUALS"}],
            "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
            "UpdatedAt": [
                {
                    "Start": stamp(BASE_TIME + timedelta(minutes=5)),
                    "End": stamp(BASE_TIME + timedelta(minutes=25)),
                }
            ],
        },
        SortCriteria=[{"Field": "UpdatedAt", "SortOrder": "asc"}],
        PaginationConfig={"PageSize": 4},
    )
    assert [f["Id"] for f in got] == wanted


def test_batch_update_keeps_updated_at_and_emits_the_updated_finding(hub: Hub) -> None:
    finding = sample_finding(Compliance={"Status": "FAILED"}, Workflow={"Status": "NEW"})
    hub.client.batch_import_findings(Findings=[finding])
    assert hub.bus.wait_idle(10)
    before = hub.client.get_findings()["Findings"][0]
    hub.events.clear()
    response = hub.client.batch_update_findings(
        FindingIdentifiers=[identifier(finding)],
        Workflow={"Status": "NOTIFIED"},
        Note={"Text": "remediation started", "UpdatedBy": "ouroboros"},
    )
    assert response["ProcessedFindings"] == [identifier(finding)]
    assert response["UnprocessedFindings"] == []
    after = hub.client.get_findings()["Findings"][0]
    assert after["Workflow"] == {"Status": "NOTIFIED"}
    assert after["UpdatedAt"] == before["UpdatedAt"]  # as AWS documents for BatchUpdateFindings
    assert after["ProcessedAt"] >= before["ProcessedAt"]
    assert hub.bus.wait_idle(10)
    assert [e["detail"]["findings"][0] for e in hub.events] == [after]


def test_standards_and_controls_through_paginators(hub: Hub) -> None:
    standards = hub.client.describe_standards()["Standards"]
    assert [s["StandardsArn"] for s in standards] == [FSBP_STANDARD_ARN]
    subscription = hub.client.get_enabled_standards()["StandardsSubscriptions"][0]
    controls = [
        control
        for page in hub.client.get_paginator("describe_standards_controls").paginate(
            StandardsSubscriptionArn=subscription["StandardsSubscriptionArn"]
        )
        for control in page["Controls"]
    ]
    assert len(controls) == len(catalog_controls())
    definitions = [
        d
        for page in hub.client.get_paginator("list_security_control_definitions").paginate(
            PaginationConfig={"PageSize": 50}
        )
        for d in page["SecurityControlDefinitions"]
    ]
    assert {d["SecurityControlId"] for d in definitions} == {
        c.control_id for c in catalog_controls()
    }
    s32 = next(c for c in controls if c["ControlId"] == "S3.2")
    hub.client.update_standards_control(
        StandardsControlArn=s32["StandardsControlArn"],
        ControlStatus="DISABLED",
        DisabledReason="demo exemption",
    )
    summary = hub.client.list_standards_control_associations(SecurityControlId="S3.2")[
        "StandardsControlAssociationSummaries"
    ][0]
    assert summary["AssociationStatus"] == "DISABLED"
    assert summary["UpdatedReason"] == "demo exemption"
    assert summary["UpdatedAt"].tzinfo is not None


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda c: c.get_findings(Filters={"Keyword": [{"Value": "x"}]}), "InvalidInputException"),
        (lambda c: c.list_members(), "NotImplementedException"),
        (
            lambda c: c.describe_standards_controls(StandardsSubscriptionArn="arn:aws:nope"),
            "ResourceNotFoundException",
        ),
        (lambda c: c.get_findings(NextToken="garbage"), "InvalidInputException"),
    ],
)
def test_errors_arrive_as_client_errors_with_aws_codes(hub: Hub, call: Any, code: str) -> None:
    with pytest.raises(ClientError) as caught:
        call(hub.client)
    assert caught.value.response["Error"]["Code"] == code


def test_import_reports_invalid_findings_per_finding(hub: Hub) -> None:
    good = sample_finding()
    bad = copy.deepcopy(good)
    bad["Id"] = "bad"
    bad["UpdatedAt"] = "last tuesday"
    response = hub.client.batch_import_findings(Findings=[good, bad])
    assert response["SuccessCount"] == 1
    assert response["FailedFindings"][0]["Id"] == "bad"


def test_the_service_endpoint_variable_routes_project_clients_here(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECURITYHUB", hub.url)
    reset_config()
    reset_sessions()
    assert client("securityhub").describe_hub()["HubArn"].endswith(":hub/default")


def test_the_server_waits_without_polling_and_stops_when_told(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its loop waits on the listening socket and a wake-up pipe with no timeout, so a stop ends
    it at once (``serve_forever`` looked at its stop flag only every poll interval)."""
    timeouts: list[float | None] = []
    plain_select = selectors.DefaultSelector.select

    def select(self: Any, timeout: float | None = None) -> Any:
        timeouts.append(timeout)
        return plain_select(self, timeout)

    monkeypatch.setattr(selectors.DefaultSelector, "select", select)
    assert hub.client.get_findings()["Findings"] == []  # the loop selects again after it
    server = hub.extension.server
    assert server is not None
    thread = server._thread
    assert thread is not None and thread.is_alive()
    server.stop()
    assert not thread.is_alive()
    assert timeouts and set(timeouts) == {None}
