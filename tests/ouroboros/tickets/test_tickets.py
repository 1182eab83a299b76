"""Tickets (`ouroboros.tickets`): a control's ticket behaviour, configured and versioned like its
mode; the workflow asking for one ticket per finding version; the webhook and Security Hub
channels; replays and retries opening no second ticket."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from emulator.securityhub_import import ocsf_findings_import
from emulator.securityhub_server import SecurityHubExtension
from emulator.securityhub_tickets import local_tickets_read
from lambdas import send_notification
from ouroboros.config import get_config, reset_config
from ouroboros.controls.configuration import (
    control_configure,
    control_exemption_add,
    control_update,
)
from ouroboros.controls.exemptions import ExemptionInput
from ouroboros.errors import ReactorExecutionError, ValidationError
from ouroboros.models import ControlModel, ExecutionModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.notify.formats import slack_payload
from ouroboros.notify.outcomes import outcome_message
from ouroboros.securityhub.asff import asff_parse
from ouroboros.tickets import services
from ouroboros.tickets.services import ticket_client_token, ticket_wanted, tickets_open
from ouroboros.workflow import dispatch
from ouroboros.workflow.decision import finding_decide
from ouroboros.workflow.dispatch import dispatch_failure_record, finding_dispatch
from ouroboros.workflow.parse import event_parse
from tests.conftest import load_event
from tests.emulator.securityhub_samples import FakeRuntime
from tests.http_server import http_server_running
from tests.ouroboros.workflow.test_rollback import failed_finding

pytestmark = pytest.mark.functional

REACTOR = "s3-public-read"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:ouroboros-dev-rx-{REACTOR}"
DIFF = [{"action": "remove", "before": "PublicRead", "after": None}]


class TicketReceiver(BaseHTTPRequestHandler):
    """A Jira/ServiceNow inbound integration: records each ticket, answers its key and link."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        TicketReceiver.received.append(body)
        answer = {"key": f"SEC-{len(TicketReceiver.received)}", "url": "https://jira.test/SEC"}
        data = json.dumps(answer).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    TicketReceiver.received = []
    with http_server_running(TicketReceiver) as base:
        monkeypatch.setenv("OUROBOROS_TICKET_WEBHOOK_URL", f"{base}/tickets")
        reset_config()
        yield TicketReceiver.received
    reset_config()


class Reactor:
    def __init__(self) -> None:
        self.dry_runs: list[bool] = []
        self.error: Exception | None = None

    def invoke(self, *, function_arn: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.dry_runs.append(bool(payload["dry_run"]))
        if self.error:
            raise self.error
        return {"changes": DIFF, "rollback_data": {"policy": "{}"}}


@pytest.fixture
def world(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Reactor:
    """S3.2 with its reactor installed (a stand-in function); write-backs ignored."""
    LocalReactorModel(
        REACTOR, version="1.0.0", sha256="0" * 64, status="installed", function_arn=FUNCTION_ARN
    ).save()
    reactor = Reactor()
    monkeypatch.setattr(dispatch, "reactor_function_invoke", reactor.invoke)
    monkeypatch.setattr(dispatch, "finding_workflow_update", lambda **kwargs: True)
    return reactor


def control(mode: str, ticket: str | None) -> None:
    ControlModel("S3.2", title="S3.2", reactor_id=REACTOR, mode=mode, ticket=ticket).save()


def imported(finding: dict[str, Any]) -> dict[str, Any]:
    return {"detail-type": "Security Hub Findings - Imported", "detail": {"findings": [finding]}}


def workflow(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Parse, Dispatch (or Record Dispatch Failure, as the Catch does), Send Notification's
    ticket step: the messages Send Notification would publish."""
    messages: list[dict[str, Any]] = []
    for item in event_parse(event=event)["items"]:
        wire = json.loads(json.dumps(item))
        try:
            outcome = finding_dispatch(item=wire)
        except ReactorExecutionError as exc:
            caught = {
                "Error": "ReactorExecutionError",
                "Cause": json.dumps({"errorMessage": str(exc)}),
            }
            outcome = dispatch_failure_record(item={**wire, "error": caught})
        messages += json.loads(json.dumps(outcome["result"]["messages"]))
    return tickets_open(messages=messages)


def test_ticket_behaviour_is_validated_versioned_and_kept_by_other_writes(moto_aws: None) -> None:
    LocalReactorModel(
        REACTOR, version="1.0.0", sha256="0" * 64, status="installed", function_arn=FUNCTION_ARN
    ).save()
    ControlModel("S3.2", title="S3.2").save()
    assert ControlModel.get("S3.2", KIND_CONTROL).ticket is None  # an old item: off

    with pytest.raises(ValidationError, match="Ticket must be one of"):
        control_update(control_id="S3.2", expected_version=1, actor="a", ticket="jira")
    with pytest.raises(ValidationError, match="needs a mode other than off"):
        control_update(control_id="S3.2", expected_version=1, actor="a", ticket="instead")
    change = control_update(
        control_id="S3.2",
        expected_version=1,
        actor="alice",
        reactor_id=REACTOR,
        mode="auto",
        ticket="instead",
    )
    assert (change.before.ticket, change.after.version) == (None, 2)
    assert ControlModel.get("S3.2", KIND_CONTROL).ticket == "instead"
    with pytest.raises(ValidationError, match="for a control in manual mode"):
        control_update(control_id="S3.2", expected_version=2, actor="a", ticket="manual")
    # A mode change that the stored ticket behaviour does not allow is refused.
    with pytest.raises(ValidationError, match="needs a mode other than off"):
        control_update(control_id="S3.2", expected_version=2, actor="a", mode="off")

    exemption = ExemptionInput(account="111111111111", reason="sandbox")
    control_exemption_add(control_id="S3.2", expected_version=2, exemption=exemption, actor="b")
    stored = ControlModel.get("S3.2", KIND_CONTROL)
    assert (stored.ticket, stored.version) == ("instead", 3)  # kept, and versioned
    control_configure(
        control_id="S3.2",
        expected_version=3,
        reactor_id=REACTOR,
        mode="auto",
        exemptions=[],
        actor="c",
        ticket="off",
    )
    assert ControlModel.get("S3.2", KIND_CONTROL).ticket == "off"


def test_ticket_decisions() -> None:
    finding = asff_parse(failed_finding())
    common: dict[str, Any] = {
        "finding": finding,
        "reactor_id": REACTOR,
        "reactor_installed": True,
        "dry_run_requested": False,
        "now": datetime.now(UTC),
    }
    decide = lambda **kw: finding_decide(**common, **kw)  # noqa: E731
    assert decide(trigger="event", mode="auto", exemptions=[], ticket="instead").action == "dry_run"
    # An operator's own run still fixes; only events become tickets.
    assert decide(trigger="manual", mode="auto", exemptions=[], ticket="instead").action == "run"
    assert decide(trigger="event", mode="manual", exemptions=[]).code == "manual_mode"
    assert decide(trigger="event", mode="manual", exemptions=[], ticket="manual").action == (
        "dry_run"
    )
    exempt = [{"account": finding.account_id, "reason": "sandbox"}]
    assert decide(trigger="event", mode="manual", exemptions=exempt, ticket="manual").code == (
        "exempt"
    )
    assert ticket_wanted("after_failure", dry_run=False, status="succeeded") is None
    assert ticket_wanted("after_failure", dry_run=False, status="failed") == "after_failure"
    assert ticket_wanted("after_dry_run", dry_run=True, status="failed") is None
    assert ticket_wanted("off", dry_run=True, status="succeeded") is None


def test_instead_opens_one_webhook_ticket_with_the_dry_run_diff_and_replays_open_none(
    world: Reactor, receiver: list[dict[str, Any]]
) -> None:
    control("auto", "instead")
    finding = failed_finding()

    [message] = workflow(imported(finding))
    for _ in range(5):  # the same event, replayed
        assert workflow(imported(finding)) == []

    assert world.dry_runs == [True]  # a dry run instead of the fix
    [ticket] = receiver
    assert ticket["reason"] == "instead"
    assert ticket["diff"] == DIFF and ticket["diff_total"] == 1
    assert ticket["finding"]["id"] == finding["Id"]
    assert ticket["finding"]["control_id"] == "S3.2"
    assert ticket["finding"]["severity"] == finding["Severity"]["Label"]
    assert ticket["client_token"] == ticket_client_token(
        finding_id=finding["Id"], version=finding["UpdatedAt"]
    )
    assert ticket["links"]["execution"].startswith("/executions/")
    assert "rollback" not in ticket["links"]  # nothing was fixed
    execution = ExecutionModel.get(message["execution_id"])
    assert (execution.ticket_id, execution.ticket_url, execution.ticket_channel) == (
        "SEC-1",
        "https://jira.test/SEC",
        "webhook",
    )
    assert message["ticket_id"] == "SEC-1"
    # Send Notification retried with the same message: the recorded ticket, no second POST.
    tickets_open(messages=[{k: message[k] for k in ("execution_id", "ticket")}])
    assert len(receiver) == 1


def test_a_failed_auto_run_with_after_failure_opens_one_ticket_naming_the_error(
    world: Reactor, receiver: list[dict[str, Any]]
) -> None:
    control("auto", "after_failure")
    world.error = ReactorExecutionError("AccessDenied: s3:PutBucketPolicy")

    [message] = workflow(imported(failed_finding()))

    assert world.dry_runs == [False] and message["status"] == "failed"
    [ticket] = receiver
    assert ticket["reason"] == "after_failure"
    assert "AccessDenied: s3:PutBucketPolicy" in ticket["execution"]["error"]
    assert ExecutionModel.get(message["execution_id"]).ticket_id == "SEC-1"


def test_a_fix_without_failure_opens_no_ticket_and_a_successful_fix_links_its_rollback(
    world: Reactor, receiver: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    control("auto", "after_failure")
    [message] = workflow(imported(failed_finding()))
    assert message["status"] == "succeeded" and "ticket" not in message and receiver == []
    execution = ExecutionModel.get(message["execution_id"])
    payload = services.ticket_payload(execution, {"reason": "after_failure", "version": "v"})
    assert payload["links"]["rollback"].endswith("/rollback/")
    assert payload["links"]["execution"].startswith("/executions/")  # no console URL: a path

    # With the console's address known, a ticket (read outside the console) links it whole.
    monkeypatch.setenv("OUROBOROS_CONSOLE_URL", "https://ouroboros.example.com/prod/")
    reset_config()
    linked = services.ticket_payload(execution, {"reason": "after_failure", "version": "v"})
    page = (
        f"https://ouroboros.example.com/prod/executions/{quote(execution.execution_id, safe='')}/"
    )
    assert linked["links"] == {"execution": page, "rollback": f"{page}rollback/"}
    message_linked = outcome_message(execution=execution)
    assert message_linked["execution_url"] == page
    assert f"*Console*: {page}" in slack_payload(message_linked)["text"]
    assert "execution_url" not in message  # the workflow's own message, before: no address


def test_no_channel_is_reported_on_the_message_and_releases_the_claim(
    world: Reactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    control("auto", "instead")
    [message] = workflow(imported(failed_finding()))
    assert message["ticket_error"].startswith("no ticket channel")
    execution = ExecutionModel.get(message["execution_id"])
    assert (execution.ticket_channel, execution.ticket_id) == (None, None)


def test_a_v2_finding_opens_one_ticket_through_the_local_connector(
    world: Reactor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The connector channel against the local Security Hub's connector (its CreateTicketV2
    records tickets), through Send Notification's handler (the strict check judges the call)."""
    ControlModel("SQS.1", title="SQS.1", reactor_id=REACTOR, mode="auto", ticket="instead").save()
    finding = load_event("ocsf/02_shcspm_control_SQS.1_compliance_fail_new.json")
    event = load_event("ocsf/09_guardduty_detection_finding_in_FindingsImportedV2_event.json")
    event["detail"] = {"findings": [finding]}
    runtime = FakeRuntime(tmp_path)
    extension = SecurityHubExtension()
    extension.start(runtime)  # type: ignore[arg-type]
    try:
        url = runtime.published["securityhub"]
        ocsf_findings_import(url, [copy.deepcopy(finding)])  # Security Hub V2 holds it
        connector_id = runtime.published["ticket_connector_id"]
        monkeypatch.setenv("OUROBOROS_TICKET_CONNECTOR_ID", connector_id)
        reset_config()
        securityhub = boto3.client("securityhub", endpoint_url=url, region_name="us-east-1")
        monkeypatch.setattr(services, "client", lambda service, **kwargs: securityhub)
        boto3.client("sns").create_topic(Name=get_config().notification_topic_name)
        [item] = event_parse(event=event)["items"]
        outcome = finding_dispatch(item=json.loads(json.dumps(item)))

        assert send_notification.handler(dict(outcome["result"]))["published"] == 1
        [message] = tickets_open(messages=outcome["result"]["messages"])  # a retry
        tickets = local_tickets_read(url, connector_id=connector_id)
    finally:
        extension.stop()

    [ticket] = tickets  # one, the retry opened none
    assert ticket["FindingMetadataUid"] == finding["metadata"]["uid"]
    assert ticket["ClientToken"] == ticket_client_token(
        finding_id=finding["finding_info"]["uid"], version=item["idempotency_key"]
    )
    assert (message["ticket_channel"], message["ticket_id"]) == ("securityhub", ticket["TicketId"])
    execution = ExecutionModel.get(message["execution_id"])
    assert execution.ticket_id == ticket["TicketId"] and execution.ticket_url
    assert execution.dry_run and list(execution.changes or []) == DIFF  # the diff is linked
