"""Tickets end to end on the local runtime (issue 23's acceptance), through the webhook channel
(the S3.2 findings are ASFF: no V2 metadata uid, so no connector ticket) to a loopback receiver
standing in for a Jira / ServiceNow inbound integration:

- S3.2 in auto mode with ticket ``instead``: an imported FAILED finding is run dry (the bucket
  stays public) and opens exactly one ticket carrying the dry-run diff; five replays of its event
  open no second ticket;
- then ticket ``after_failure``: a finding whose bucket does not exist fails, and opens one
  ticket naming the error.

`tests/emulator/test_securityhub_tickets.py` covers the local connector (``CreateTicketV2``);
`tests/ouroboros/tickets/test_tickets.py` the connector channel of Send Notification.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from emulator.bus import bus_event_publish
from ouroboros.aws import client
from ouroboros.config import reset_config
from ouroboros.controls.configuration import control_update
from ouroboros.models import ControlModel, ExecutionModel
from ouroboros.models.controls import KIND_CONTROL
from tests.http_server import http_server_running
from tests.integration.test_workflow_e2e import (
    BUCKET,
    executions,
    executions_settled,
    imported_event,
    installed_s3_reactor,
    policy_sids,
    s3_finding,
    state_machine_arn,
)
from tests.reactor_support import wait_for

pytestmark = pytest.mark.integration


class TicketInbox(BaseHTTPRequestHandler):
    """The inbound integration: records each ticket and answers its key."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        TicketInbox.received.append(body)
        answer = json.dumps({"key": f"SEC-{len(TicketInbox.received)}"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def ticket_set(ticket: str) -> None:
    current = ControlModel.get("S3.2", KIND_CONTROL, consistent_read=True)
    control_update(
        control_id="S3.2", expected_version=current.version or 0, actor="alice", ticket=ticket
    )


def settled() -> None:
    wait_for(lambda: executions_settled(state_machine_arn()), "all executions", 120)


def test_instead_opens_one_ticket_with_the_diff_and_after_failure_one_naming_the_error(
    local_runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    TicketInbox.received = []
    with http_server_running(TicketInbox) as base:
        monkeypatch.setenv("OUROBOROS_TICKET_WEBHOOK_URL", f"{base}/tickets")
        reset_config()
        installed_s3_reactor()
        ticket_set("instead")

        finding = s3_finding(BUCKET)
        client("securityhub").batch_import_findings(Findings=[finding])  # the first delivery
        for number in range(5):  # five replays of the same finding version
            bus_event_publish(event=imported_event([finding], f"ticket-replay-{number}"))
        settled()

        [dry] = executions(finding["Id"], "succeeded")
        assert dry.dry_run and dry.changes  # a dry run instead of the fix
        assert "PublicRead" in policy_sids(BUCKET)
        [ticket] = TicketInbox.received
        assert ticket["reason"] == "instead"
        assert ticket["finding"]["id"] == finding["Id"]
        assert ticket["diff"] == json.loads(json.dumps(list(dry.changes), default=str))
        stored = ExecutionModel.get(dry.execution_id)
        assert (stored.ticket_id, stored.ticket_channel) == ("SEC-1", "webhook")

        ticket_set("after_failure")
        bad = s3_finding("ouroboros-no-such-bucket", finding_id=finding["Id"] + "-missing")
        client("securityhub").batch_import_findings(Findings=[bad])
        [failed] = wait_for(lambda: executions(bad["Id"], "failed"), "the failure", 90)
        settled()

        assert len(TicketInbox.received) == 2
        named = TicketInbox.received[1]
        assert named["reason"] == "after_failure" and named["finding"]["id"] == bad["Id"]
        assert "ouroboros-no-such-bucket" in named["execution"]["error"]
        assert named["execution"]["error"] == failed.error
        assert ExecutionModel.get(failed.execution_id).ticket_id == "SEC-2"
    reset_config()
