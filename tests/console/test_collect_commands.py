"""``manage.py collect_findings`` / ``collect_controls``: run a collector, print its report."""

from __future__ import annotations

import io
import json

import pytest
from botocore.stub import Stubber
from django.core.management import CommandError, call_command

from ouroboros.aws import client
from ouroboros.findings import services as finding_services
from ouroboros.models import FindingModel
from ouroboros.securityhub import collect_findings as collector
from tests.ouroboros.findings.conftest import sample_raws

pytestmark = pytest.mark.functional


@pytest.fixture(autouse=True)
def one_writer_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's in-process DynamoDB is not thread-safe."""
    monkeypatch.setattr(finding_services, "WRITE_WORKERS", 1)
    monkeypatch.setattr(collector, "IN_FLIGHT", 1)


def test_collect_findings_full_then_incremental(moto_aws: None) -> None:
    raws = [r for r in sample_raws() if r["AwsAccountId"] == "111111111111"]
    client("securityhub").batch_import_findings(Findings=raws)
    out = io.StringIO()
    call_command("collect_findings", "--full", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["mode"], report["written"]) == ("full", len(raws))
    assert FindingModel.get(raws[0]["Id"]).account_id == "111111111111"

    out = io.StringIO()
    call_command("collect_findings", stdout=out)
    again = json.loads(out.getvalue())
    assert (again["mode"], again["written"]) == ("incremental", 0)


def test_collect_controls_prints_its_report(moto_aws: None) -> None:
    with Stubber(client("securityhub")) as stubber:
        stubber.add_response("describe_standards", {"Standards": []}, {})
        stubber.add_response("get_enabled_standards", {"StandardsSubscriptions": []}, {})
        stubber.add_response(
            "list_security_control_definitions", {"SecurityControlDefinitions": []}
        )
        out = io.StringIO()
        call_command("collect_controls", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["standards"], report["controls"], report["consolidated_api"]) == (0, 0, True)


def test_collect_findings_turns_core_errors_into_command_errors(moto_aws: None) -> None:
    with Stubber(client("securityhub")) as stubber:
        stubber.add_client_error("get_findings", "ThrottlingException", http_status_code=429)
        with pytest.raises(CommandError, match="throttling"):
            call_command("collect_findings", stdout=io.StringIO())
