"""A rollback runs in the workflow, not in the request: asked (claimed, recorded ``pending``, the
state machine started), parsed into one item, dispatched; it restores through the reactor, takes
the fix out of MTTR, exempts the resource from auto mode and reopens the finding (NEW + note)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ouroboros.aggregates import aggregate_read
from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.errors import ConflictError, ReactorExecutionError
from ouroboros.executions.services import execution_record
from ouroboros.models import ControlModel, ExecutionModel, FindingModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.securityhub.asff import asff_parse
from ouroboros.workflow import rollback as rollback_module
from ouroboros.workflow.dispatch import dispatch_failure_record, finding_dispatch
from ouroboros.workflow.parse import event_parse
from ouroboros.workflow.rollback import execution_rollback_start
from tests.findings_factory import finding_from_asff, sample_asff

pytestmark = pytest.mark.functional

REACTOR = "s3-public-read"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:ouroboros-dev-rx-{REACTOR}"
ROLLBACK_DATA = {"policy": '{"Statement": [{"Sid": "PublicRead"}]}'}


def failed_finding() -> dict[str, Any]:
    finding = sample_asff("asr_afsbp_s3.2.json")
    finding["Workflow"] = {"Status": "NEW"}
    finding["Compliance"] = {**finding.get("Compliance", {}), "Status": "FAILED"}
    finding["RecordState"] = "ACTIVE"
    return finding


class Hub:
    """Security Hub as the rollback sees it: the finding, and the updates it was sent."""

    def __init__(self, finding: dict[str, Any]) -> None:
        self.finding = finding
        self.updates: list[dict[str, Any]] = []

    def fetch(self, *, finding_id: str) -> dict[str, Any]:
        assert finding_id == self.finding["Id"]
        return self.finding

    def update(self, *, finding: Any, status: str, note: str | None = None) -> bool:
        self.updates.append({"id": finding.finding_id, "status": status, "note": note})
        return True


class Reactor:
    """The reactor function: what it was asked, and whether it fails."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.error: Exception | None = None

    def invoke(self, *, function_arn: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert function_arn == FUNCTION_ARN
        self.payloads.append(json.loads(json.dumps(payload)))
        if self.error:
            raise self.error
        return {"status": "changed", "changes": [{"action": "restore", "after": "PublicRead"}]}


@pytest.fixture
def world(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> tuple[Hub, Reactor]:
    return rollback_world(monkeypatch)


def rollback_world(monkeypatch: pytest.MonkeyPatch) -> tuple[Hub, Reactor]:
    """S3.2 in auto mode with its reactor installed, the state machine, a FAILED finding in
    (a stand-in of) Security Hub and a stand-in reactor function (moto is active)."""
    ControlModel("S3.2", title="S3.2", reactor_id=REACTOR, mode="auto").save()
    LocalReactorModel(
        REACTOR, version="1.0.0", sha256="0" * 64, status="installed", function_arn=FUNCTION_ARN
    ).save()
    client("stepfunctions").create_state_machine(
        name=get_config().state_machine_name,
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )
    hub, reactor = Hub(failed_finding()), Reactor()
    monkeypatch.setattr(rollback_module, "finding_fetch", hub.fetch)
    monkeypatch.setattr(rollback_module, "finding_workflow_update", hub.update)
    monkeypatch.setattr(rollback_module, "reactor_function_invoke", reactor.invoke)
    return hub, reactor


def remediated(hub: Hub) -> ExecutionModel:
    """A real remediation of the finding, ended today (counted in MTTR)."""
    finding = asff_parse(hub.finding)
    finding_from_asff(hub.finding).save()
    return execution_record(
        finding=finding,
        status="succeeded",
        trigger="event",
        actor="eventbridge",
        reactor_id=REACTOR,
        reactor_version="1.0.0",
        mode="auto",
        changes=[{"action": "remove", "before": "PublicRead"}],
        rollback=ROLLBACK_DATA,
        finished_at=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    )


def workflow_input(rollback: ExecutionModel) -> dict[str, Any]:
    """What the rollback started the state machine with."""
    described = client("stepfunctions").describe_execution(
        executionArn=str(rollback.sfn_execution_arn)
    )
    return dict(json.loads(described["input"]))


def mttr_count() -> int:
    return sum(v for k, v in aggregate_read("executions#mttr").items() if k.endswith("#count"))


def test_a_rollback_is_asked_then_run_by_the_workflow(world: tuple[Hub, Reactor]) -> None:
    hub, reactor = world
    original = remediated(hub)
    assert mttr_count() == 1 and ExecutionModel.get(original.execution_id).mttr_day

    asked = execution_rollback_start(execution_id=original.execution_id, actor="otto")

    # The request only asked: nothing ran, the original is claimed, the rollback is pending.
    assert asked.status == "pending" and asked.trigger == "rollback" and asked.actor == "otto"
    assert reactor.payloads == [] and hub.updates == []
    assert ExecutionModel.get(original.execution_id).rolled_back_by == asked.execution_id
    with pytest.raises(ConflictError, match="already rolled back"):
        execution_rollback_start(execution_id=original.execution_id, actor="olga")

    items = event_parse(event=workflow_input(asked))["items"]
    assert len(items) == 1 and items[0]["trigger"] == "rollback"
    outcome = finding_dispatch(item=dict(items[0]))

    assert outcome["result"]["status"] == "succeeded"
    assert [p["operation"] for p in reactor.payloads] == ["rollback"]
    assert reactor.payloads[0]["rollback_data"] == ROLLBACK_DATA
    done = ExecutionModel.get(asked.execution_id)
    assert (done.status, done.rollback_of, done.changes) == (
        "succeeded",
        original.execution_id,
        [{"action": "restore", "after": "PublicRead"}],
    )
    assert ExecutionModel.get(original.execution_id).status == "rolled_back"
    # Out of MTTR, exempt from auto mode, reopened with a note naming the rollback.
    assert mttr_count() == 0
    [exemption] = ControlModel.get("S3.2", KIND_CONTROL).exemptions
    assert exemption.created_by == "otto" and asked.execution_id in exemption.reason
    assert exemption.account == hub.finding["AwsAccountId"]
    assert 29 <= (exemption.expires_at - datetime.now(UTC)).days <= 30
    [update] = hub.updates
    assert update["status"] == "NEW" and asked.execution_id in update["note"]
    pointer = FindingModel.get(original.finding_id).last_remediation
    assert (pointer.execution_id, pointer.status) == (asked.execution_id, "rolled_back")

    # A redelivered item runs nothing; a second rollback is refused.
    assert finding_dispatch(item=dict(items[0]))["result"]["status"] == "duplicate"
    assert len(reactor.payloads) == 1
    with pytest.raises(ConflictError):
        execution_rollback_start(execution_id=original.execution_id, actor="otto")

    # Security Hub's next evaluation sets the finding NEW: auto mode does not re-apply the fix.
    event = {"detail-type": "Security Hub Findings - Imported", "detail": {"findings": []}}
    event["detail"]["findings"] = [{**hub.finding, "UpdatedAt": "2031-01-01T00:00:00.000Z"}]
    assert event_parse(event=event) == {"items": []}
    skipped = [
        e for e in ExecutionModel.finding_index.query(original.finding_id) if e.status == "skipped"
    ]
    assert [e.skip_reason.startswith("exempt: rolled back by otto") for e in skipped] == [True]


def test_a_failed_rollback_is_recorded_and_can_be_retried(world: tuple[Hub, Reactor]) -> None:
    hub, reactor = world
    original = remediated(hub)
    asked = execution_rollback_start(execution_id=original.execution_id, actor="otto")
    reactor.error = ReactorExecutionError("AccessDenied: s3:PutBucketPolicy")
    [item] = event_parse(event=workflow_input(asked))["items"]

    with pytest.raises(ReactorExecutionError, match=f"execution {asked.execution_id}"):
        finding_dispatch(item=dict(item))

    failed = ExecutionModel.get(asked.execution_id)
    assert failed.status == "failed" and "AccessDenied" in str(failed.error)
    kept = ExecutionModel.get(original.execution_id)
    assert (kept.status, kept.rolled_back_by) == ("succeeded", None)
    assert mttr_count() == 1 and hub.updates == []
    assert not ControlModel.get("S3.2", KIND_CONTROL).exemptions
    again = execution_rollback_start(execution_id=original.execution_id, actor="otto")
    assert again.status == "pending"


def test_dry_runs_and_skips_have_nothing_to_roll_back(world: tuple[Hub, Reactor]) -> None:
    hub, _ = world
    finding = asff_parse(hub.finding)
    dry = execution_record(
        finding=finding, status="succeeded", dry_run=True, rollback=ROLLBACK_DATA
    )
    skipped = execution_record(finding=finding, status="skipped", skip_reason="mode off")
    for execution in (dry, skipped):
        with pytest.raises(ConflictError, match="nothing to roll back"):
            execution_rollback_start(execution_id=execution.execution_id, actor="otto")


def test_a_rollback_failing_before_it_ran_is_ended_by_record_dispatch_failure(
    world: tuple[Hub, Reactor],
) -> None:
    hub, reactor = world
    original = remediated(hub)
    asked = execution_rollback_start(execution_id=original.execution_id, actor="otto")
    [item] = event_parse(event=workflow_input(asked))["items"]
    caught = {"Error": "ThrottledError", "Cause": json.dumps({"errorMessage": "Rate exceeded"})}

    outcome = dispatch_failure_record(item={**item, "error": caught})

    assert outcome["result"]["status"] == "failed" and reactor.payloads == []
    ended = ExecutionModel.get(asked.execution_id)
    assert (ended.status, ended.error) == ("failed", "ThrottledError: Rate exceeded")
    assert ExecutionModel.get(original.execution_id).rolled_back_by is None  # can be asked again
