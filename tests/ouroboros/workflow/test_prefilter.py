"""The Imported pre-filter (`ouroboros.workflow.prefilter`): no Standard execution for a finding
that needs no action, every such skip counted, what needs a run passed on once."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from deploy.naming import Deployment
from deploy.workflow import WorkflowError, rule_target_arn, rule_target_function, rules_render
from emulator.caller import running_as
from lambdas.finding_prefilter import handler
from ouroboros.aggregates import aggregate_read
from ouroboros.aggregates.remediation import OUTCOMES_AGGREGATE
from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.controls.exemptions import ExemptionInput, exemption_build
from ouroboros.errors import ValidationError
from ouroboros.executions.selectors import executions_of_finding
from ouroboros.executions.services import idempotency_claim
from ouroboros.models import ControlModel, LocalReactorModel
from tests.conftest import load_event
from tests.findings_factory import sample_asff

pytestmark = pytest.mark.functional

REACTOR = "s3-public-read"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:ouroboros-dev-reactor-{REACTOR}"
ACCOUNT = "222222222222"
IMPOSTOR_PRODUCT = "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"
#: control -> (sample, how the control is configured) for the controls with no auto reactor.
NO_ACTION = {
    "EC2.2": "asr_afsbp_ec2.2.json",  # no reactor assigned
    "S3.1": "asr_afsbp_s3.1.json",  # reactor in manual mode: waits for an operator
    "S3.5": "asr_afsbp_s3.2.json",  # reactor, mode off
    "S3.8": "asr_afsbp_s3.2.json",  # reactor in auto mode, the account exempt
}


def finding(control: str, sample: str, number: int, **changes: Any) -> dict[str, Any]:
    """The real sample as a FAILED, ACTIVE, NEW finding of ``control`` with a unique id."""
    raw = sample_asff(sample)
    raw["Id"] = (
        f"arn:aws:securityhub:us-east-1:{ACCOUNT}:subscription/"
        f"aws-foundational-security-best-practices/v/1.0.0/{control}/finding/pre-{number}"
    )
    raw["AwsAccountId"] = ACCOUNT
    raw["Compliance"] = {"Status": "FAILED", "SecurityControlId": control}
    raw["Workflow"] = {"Status": "NEW"}
    raw["RecordState"] = "ACTIVE"
    raw.update(changes)
    return raw


def imported(*findings: dict[str, Any], event_id: str = "e-1") -> dict[str, Any]:
    """The real "Findings - Imported" envelope around ``findings``."""
    event = copy.deepcopy(load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json"))
    event["id"] = event_id
    event["detail"]["findings"] = list(findings)
    return dict(event)


@pytest.fixture
def world(moto_aws: None) -> None:
    """S3.2 auto with its reactor installed; the NO_ACTION controls; the state machine."""
    LocalReactorModel(
        REACTOR, version="1.0.0", sha256="0" * 64, status="installed", function_arn=FUNCTION_ARN
    ).save()
    exempt = exemption_build(ExemptionInput(account=ACCOUNT, reason="sandbox"), actor="alice")
    ControlModel("S3.2", title="S3.2", reactor_id=REACTOR, mode="auto").save()
    ControlModel("EC2.2", title="EC2.2").save()
    ControlModel("S3.1", title="S3.1", reactor_id=REACTOR, mode="manual").save()
    ControlModel("S3.5", title="S3.5", reactor_id=REACTOR, mode="off").save()
    ControlModel("S3.8", title="S3.8", reactor_id=REACTOR, mode="auto", exemptions=[exempt]).save()
    client("stepfunctions").create_state_machine(
        name=get_config().state_machine_name,
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )


def prefilter(event: dict[str, Any]) -> dict[str, Any]:
    """The deployed function's handler, as that function (its calls are judged by tests/strict)."""
    with running_as("finding_prefilter"):
        return handler(event, None)


def executions_started() -> list[dict[str, Any]]:
    sfn = client("stepfunctions")
    arn = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    return list(sfn.list_executions(stateMachineArn=arn)["executions"])


def skipped_today() -> int:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    return aggregate_read(OUTCOMES_AGGREGATE).get(f"{day}#skipped", 0)


def test_a_burst_without_an_auto_reactor_starts_nothing_and_counts_every_skip(world: None) -> None:
    controls = sorted(NO_ACTION)
    events = [
        imported(finding(controls[n % 4], NO_ACTION[controls[n % 4]], n), event_id=f"burst-{n}")
        for n in range(40)
    ]
    reports = [prefilter(event) for event in events]

    assert executions_started() == []
    assert skipped_today() == 40
    assert sum(r["passed"] for r in reports) == 0
    codes: dict[str, int] = {}
    for report in reports:
        for code, count in report["skipped"].items():
            codes[code] = codes.get(code, 0) + count
    assert codes == {"no_reactor": 10, "manual_mode": 10, "mode_off": 10, "exempt": 10}
    # No execution item: the skip lives in the per-day bucket only.
    assert not executions_of_finding(finding_id=events[0]["detail"]["findings"][0]["Id"])


def test_only_the_findings_that_need_a_run_reach_one_execution_and_once(world: None) -> None:
    auto = finding("S3.2", "asr_afsbp_s3.2.json", 1)
    none = finding("EC2.2", "asr_afsbp_ec2.2.json", 2)
    event = imported(auto, none)

    report = prefilter(event)
    (execution,) = executions_started()
    started = client("stepfunctions").describe_execution(executionArn=execution["executionArn"])
    given = json.loads(started["input"])
    assert [f["Id"] for f in given["detail"]["findings"]] == [auto["Id"]]
    assert given["detail-type"] == event["detail-type"] and given["id"] == event["id"]
    assert (report["passed"], report["skipped"], report["already_started"]) == (
        1,
        {"no_reactor": 1},
        False,
    )
    assert report["execution_arn"] == execution["executionArn"]

    # EventBridge retries a failed invocation: the same event starts nothing more.
    # (Step Functions answers a running one's ARN, or ExecutionAlreadyExists once it closed.)
    again = prefilter(copy.deepcopy(event))
    assert again["execution_arn"] == report["execution_arn"]
    assert len(executions_started()) == 1
    # A new version of the finding (another evaluation) is another execution.
    prefilter(imported(dict(auto, UpdatedAt="2030-01-01T00:00:00.000Z"), event_id="e-2"))
    assert len(executions_started()) == 2


def test_a_version_already_handled_starts_nothing(world: None) -> None:
    auto = finding("S3.2", "asr_afsbp_s3.2.json", 3)
    assert idempotency_claim(finding_id=auto["Id"], key=auto["UpdatedAt"], execution_id="x-1")

    report = prefilter(imported(auto))

    assert executions_started() == []
    assert report["skipped"] == {"already_handled": 1}
    assert skipped_today() == 1


def test_refusals_are_still_recorded_as_skipped_executions(world: None) -> None:
    """An impostor riding along a genuine finding, and a malformed one: their reasons show on
    the execution history, as Parse recorded them; nothing starts."""
    fake = finding(
        "S3.2",
        "asr_afsbp_s3.2.json",
        4,
        Id="arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default/s3-2-fake",
        ProductArn=IMPOSTOR_PRODUCT,
        GeneratorId="security-control/S3.2",
    )
    genuine = finding("EC2.2", "asr_afsbp_ec2.2.json", 5)
    malformed = {"Id": "broken"}

    report = prefilter(imported(fake, genuine, malformed))

    assert executions_started() == []
    assert report["refused"] == 2 and report["skipped"] == {"no_reactor": 1}
    (recorded,) = executions_of_finding(finding_id=fake["Id"])
    assert recorded.status == "skipped" and "product" in str(recorded.skip_reason)
    assert skipped_today() == 3  # the two refusals (execution items) and the counted skip


@pytest.mark.parametrize("event", [[], {"detail": {}}, {"detail": {"findings": "x"}}])
def test_an_event_without_findings_is_refused_clearly(moto_aws: None, event: Any) -> None:
    with pytest.raises(ValidationError, match=r"expected an object|detail\.findings"):
        prefilter(event)


def test_the_imported_rule_targets_the_prefilter_and_the_custom_action_the_state_machine() -> None:
    rules = rules_render("arn:aws:securityhub:us-east-1:123456789012:action/custom/X")
    deployment = Deployment(
        stage="dev", region="us-east-1", account="123456789012", side="consumer"
    )
    imported_arn = rule_target_arn(rules["findings_imported"], deployment)
    assert imported_arn.endswith(":function:ouroboros-dev-finding-prefilter")
    assert rule_target_arn(rules["custom_action"], deployment) == deployment.state_machine_arn
    with pytest.raises(WorkflowError, match="not a workflow_rule function"):
        rule_target_function({"Name": "x", "Target": "dispatch_finding"})
