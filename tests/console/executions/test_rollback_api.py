"""Acceptance of ``POST /api/v1/executions/{id}/rollback``: it answers 202 at once (the workflow
runs the rollback), the execution reaches ``rolled_back``, and a second rollback is a 409."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from console.audit.models import AuditEntry
from lambdas import dispatch_finding, parse_finding
from ouroboros.models import ExecutionModel
from tests.console.conftest import logged_in
from tests.ouroboros.workflow.test_rollback import remediated, rollback_world, workflow_input

pytestmark = [pytest.mark.functional, pytest.mark.django_db]


def test_rollback_answers_202_then_reaches_rolled_back_and_a_second_is_409(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub, reactor = rollback_world(monkeypatch)
    original = remediated(hub)
    api = logged_in("otto", "operator")
    url = f"/api/v1/executions/{quote(original.execution_id, safe='')}"

    answer = api.post(f"{url}/rollback")

    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert body["status"] == "pending" and body["rollback"]["trigger"] == "rollback"
    assert body["rollback"]["rollback_of"] == original.execution_id
    assert body["poll"] == f"/api/v1/executions/{quote(original.execution_id, safe=':')}"
    assert reactor.payloads == []  # the request only asked
    polled = api.get(url).json()
    assert polled["status"] == "succeeded" and polled["can_rollback"] is False
    assert AuditEntry.objects.get(action="execution.rollback").via == "api"

    # The workflow runs it: the deployed Parse and Dispatch functions, as the state machine would.
    rollback = body["rollback"]["execution_id"]
    started: dict[str, Any] = workflow_input(_execution(rollback))
    items = parse_finding.handler(started)["items"]
    assert dispatch_finding.handler(dict(items[0]))["result"]["status"] == "succeeded"

    polled = api.get(url).json()
    assert polled["status"] == "rolled_back" and polled["rolled_back_by"] == rollback
    assert [p["operation"] for p in reactor.payloads] == ["rollback"]
    second = api.post(f"{url}/rollback")
    assert second.status_code == 409
    assert "already rolled back" in second.json()["detail"]


def test_a_viewer_cannot_roll_back(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    hub, _ = rollback_world(monkeypatch)
    original = remediated(hub)
    url = f"/api/v1/executions/{quote(original.execution_id, safe='')}/rollback"
    assert logged_in("vera", "viewer").post(url).status_code == 403


def _execution(execution_id: str) -> ExecutionModel:
    return ExecutionModel.get(execution_id)
