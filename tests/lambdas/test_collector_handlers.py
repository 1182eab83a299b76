"""The collector Lambda handlers: thin adapters over the core services (moto, stubbed hub)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from lambdas import collect_controls, collect_findings, finding_imported
from ouroboros.aws import client
from ouroboros.errors import ValidationError
from ouroboros.findings import services as finding_services
from ouroboros.models import ControlModel, FindingModel
from ouroboros.securityhub import collect_findings as collector
from tests.conftest import load_event
from tests.ouroboros.findings.conftest import sample_raws

pytestmark = pytest.mark.functional


@pytest.fixture(autouse=True)
def one_writer_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's in-process DynamoDB is not thread-safe."""
    monkeypatch.setattr(finding_services, "WRITE_WORKERS", 1)
    monkeypatch.setattr(collector, "IN_FLIGHT", 1)


def test_finding_imported_handler(moto_aws: None) -> None:
    event = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")
    result = finding_imported.handler(event, None)
    assert (result["received"], result["written"]) == (1, 1)
    assert FindingModel.get(event["detail"]["findings"][0]["Id"]).control_id == "EC2.7"


def test_finding_imported_handler_rejects_other_events(moto_aws: None) -> None:
    with pytest.raises(ValidationError):
        finding_imported.handler({"detail-type": "Scheduled Event", "detail": {}}, None)


def test_collect_findings_handler_reads_moto_security_hub(moto_aws: None) -> None:
    hub = client("securityhub")
    raws = [r for r in sample_raws() if r["AwsAccountId"] == "111111111111"]
    hub.batch_import_findings(Findings=raws)
    result = collect_findings.handler({"full": True}, None)
    assert (result["mode"], result["read"], result["written"]) == ("full", len(raws), len(raws))
    assert collect_findings.handler({}, None)["mode"] == "incremental"


def test_collect_controls_handler(moto_aws: None) -> None:
    hub = client("securityhub")
    fsbp = "aws-foundational-security-best-practices/v/1.0.0"
    arn = f"arn:aws:securityhub:::standards/{fsbp}"
    sub = f"arn:aws:securityhub:us-east-1:111111111111:subscription/{fsbp}"
    control: dict[str, Any] = {
        "StandardsControlArn": sub.replace("subscription", "control") + "/S3.2",
        "ControlStatus": "ENABLED",
        "ControlId": "S3.2",
        "Title": "S3 buckets should prohibit public read access",
        "SeverityRating": "CRITICAL",
    }
    with Stubber(hub) as stubber:
        stubber.add_response("describe_standards", {"Standards": []}, {})
        stubber.add_response(
            "get_enabled_standards",
            {
                "StandardsSubscriptions": [
                    {
                        "StandardsSubscriptionArn": sub,
                        "StandardsArn": arn,
                        "StandardsInput": {},
                        "StandardsStatus": "READY",
                    }
                ]
            },
            {},
        )
        stubber.add_response("describe_standards_controls", {"Controls": [control]}, None)
        stubber.add_client_error("list_security_control_definitions", "InvalidAccessException")
        result = collect_controls.handler({}, None)
    assert (result["standards"], result["controls"], result["created"]) == (1, 1, 1)
    assert ControlModel.get("S3.2", "CONTROL").severity == "CRITICAL"
