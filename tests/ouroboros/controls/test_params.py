"""Issue 19, items 1-2 in the core: a control's reactor parameters (validated against the
installed reactor's schema, versioned, reaching the reactor and recorded on the execution) and
assignments limited to the controls a reactor declares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ouroboros.controls.configuration import control_assign_reactor_many, control_update
from ouroboros.controls.params import ControlParamsError, control_params
from ouroboros.controls.services import control_assign_reactor
from ouroboros.errors import ValidationError
from ouroboros.executions.selectors import executions_of_finding
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.securityhub.catalog import FSBP_STANDARD_ID, catalog_controls
from ouroboros.workflow import dispatch
from ouroboros.workflow.dispatch import finding_dispatch
from ouroboros.workflow.parse import event_parse
from tests.control_catalog import catalog_loaded
from tests.findings_factory import sample_asff

pytestmark = pytest.mark.functional

REACTOR = "sqs-queue-encryption"
OTHER = "kms-key-rotation"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:ouroboros-dev-rx-{REACTOR}"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "kms_key_id": {
            "type": "string",
            "default": "",
            "pattern": "^(|alias/[A-Za-z0-9/_-]+|arn:aws:kms:.+)$",
            "description": "KMS key for SSE-KMS; empty: SSE-SQS",
        },
        "retention_days": {"type": "integer", "minimum": 1, "maximum": 365, "default": 90},
    },
}


def _installed(reactor_id: str, control_ids: list[str], schema: dict[str, Any]) -> None:
    LocalReactorModel(
        reactor_id,
        version="1.0.0",
        sha256="0" * 64,
        status="installed",
        installed_at=datetime.now(UTC),
        function_arn=FUNCTION_ARN,
        manifest={"id": reactor_id, "control_ids": control_ids, "params_schema": schema},
    ).save()


@pytest.fixture
def controls(moto_aws: None) -> None:
    wanted = {"SQS.1", "S3.2", "S3.3", "KMS.4"}
    catalog_loaded(
        controls=[c for c in catalog_controls() if c.control_id in wanted],
        standard_id=FSBP_STANDARD_ID,
    )
    _installed(REACTOR, ["SQS.1"], SCHEMA)
    _installed(OTHER, ["KMS.4", "SQS.1"], {"type": "object", "properties": {}})


def _stored(control_id: str = "SQS.1") -> ControlModel:
    return ControlModel.get(control_id, KIND_CONTROL, consistent_read=True)


def test_parameters_are_stored_as_set_and_bump_the_version(controls: None) -> None:
    saved = control_assign_reactor(
        control_id="SQS.1",
        expected_version=0,
        reactor_id=REACTOR,
        mode="auto",
        actor="otto",
        params={"kms_key_id": "alias/queues"},
    )
    stored = _stored()
    assert control_params(stored) == {"kms_key_id": "alias/queues"}  # defaults are not pinned
    assert stored.version == saved.version == 1 and stored.updated_by == "otto"


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"retention_days": 0}, "retention_days", "less than 1"),
        ({"retention_days": "ten"}, "retention_days", "expected integer"),
        ({"kms_key_id": "not a key"}, "kms_key_id", "does not match"),
        ({"kms_keyid": "alias/x"}, "kms_keyid", "unknown parameter"),
    ],
)
def test_an_invalid_parameter_is_refused_naming_it_and_nothing_is_written(
    controls: None, params: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ControlParamsError) as refused:
        control_assign_reactor(
            control_id="SQS.1",
            expected_version=0,
            reactor_id=REACTOR,
            mode="auto",
            actor="otto",
            params=params,
        )
    assert list(refused.value.problems) == [field]
    assert f"params/{field}" in str(refused.value) and words in str(refused.value)
    stored = _stored()
    assert (stored.reactor_id, stored.params, stored.version) == (None, None, None)


def test_update_keeps_parameters_for_the_same_reactor_and_clears_them_on_a_change(
    controls: None,
) -> None:
    control_assign_reactor(
        control_id="SQS.1",
        expected_version=0,
        reactor_id=REACTOR,
        mode="manual",
        actor="otto",
        params={"retention_days": 30},
    )
    change = control_update(control_id="SQS.1", expected_version=1, actor="ada", mode="auto")
    assert control_params(change.after) == {"retention_days": 30}
    with pytest.raises(ControlParamsError, match="params/retention_days"):
        control_update(
            control_id="SQS.1", expected_version=2, actor="ada", params={"retention_days": 999}
        )
    change = control_update(control_id="SQS.1", expected_version=2, actor="ada", reactor_id=OTHER)
    assert control_params(change.before) == {"retention_days": 30}
    assert control_params(change.after) == {} and _stored().params is None


def test_a_reactor_cannot_be_assigned_to_a_control_it_does_not_declare(controls: None) -> None:
    with pytest.raises(ValidationError, match=r"declares SQS\.1 only; .* to S3\.2$"):
        control_assign_reactor(
            control_id="S3.2", expected_version=0, reactor_id=REACTOR, mode="auto", actor="otto"
        )
    with pytest.raises(ValidationError, match=r"to S3\.2$"):
        control_update(control_id="S3.2", expected_version=0, actor="otto", reactor_id=REACTOR)
    assert _stored("S3.2").reactor_id is None


def test_bulk_assignment_refuses_every_undeclared_control_by_name(controls: None) -> None:
    with pytest.raises(ValidationError, match=r"cannot be assigned to S3\.2, S3\.3$"):
        control_assign_reactor_many(
            control_ids=["SQS.1", "S3.2", "S3.3"], reactor_id=REACTOR, mode="auto", actor="a"
        )
    assert list(ControlModel.reactor_index.query(REACTOR)) == []


def test_bulk_assignment_sets_checked_parameters_or_keeps_those_of_the_same_reactor(
    controls: None,
) -> None:
    with pytest.raises(ControlParamsError, match="params/kms_key_id"):
        control_assign_reactor_many(
            control_ids=["SQS.1"],
            reactor_id=REACTOR,
            mode="auto",
            actor="a",
            params={"kms_key_id": 1},
        )
    control_assign_reactor_many(
        control_ids=["SQS.1"],
        reactor_id=REACTOR,
        mode="auto",
        actor="a",
        params={"retention_days": 7},
    )
    control_assign_reactor_many(
        control_ids=["SQS.1"], reactor_id=REACTOR, mode="dry_run", actor="a"
    )
    assert control_params(_stored()) == {"retention_days": 7}
    control_assign_reactor_many(
        control_ids=["SQS.1", "KMS.4"], reactor_id=OTHER, mode="auto", actor="a"
    )
    assert _stored().params is None


def _sqs_finding() -> dict[str, Any]:
    finding = sample_asff("asr_afsbp_s3.2.json")
    finding["Compliance"] = {
        **finding.get("Compliance", {}),
        "Status": "FAILED",
        "SecurityControlId": "SQS.1",
    }
    finding["ProductFields"] = {**finding.get("ProductFields", {}), "ControlId": "SQS.1"}
    finding["Workflow"] = {"Status": "NEW"}
    finding["RecordState"] = "ACTIVE"
    finding["Id"] += "-sqs"
    return finding


def test_dispatch_sends_the_control_parameters_and_records_them(
    controls: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    control_assign_reactor(
        control_id="SQS.1",
        expected_version=0,
        reactor_id=REACTOR,
        mode="auto",
        actor="otto",
        params={"kms_key_id": "alias/queues"},
    )
    sent: list[dict[str, Any]] = []

    def invoke(*, function_arn: str, payload: dict[str, Any]) -> dict[str, Any]:
        sent.append(payload["params"])
        return {"changes": [], "rollback_data": {}}

    monkeypatch.setattr(dispatch, "reactor_function_invoke", invoke)
    monkeypatch.setattr(dispatch, "finding_workflow_update", lambda **kwargs: None)
    finding = _sqs_finding()
    event = {"detail-type": "Security Hub Findings - Imported", "detail": {"findings": [finding]}}
    [item] = event_parse(event=event)["items"]
    finding_dispatch(item=item)

    used = {"kms_key_id": "alias/queues", "retention_days": 90}  # the default fills the gap
    assert sent == [used]
    [execution] = executions_of_finding(finding_id=finding["Id"])
    assert execution.status == "succeeded" and execution.params.as_dict() == used


def test_a_dispatch_item_whose_params_are_not_an_object_runs_nothing(
    controls: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    control_assign_reactor(
        control_id="SQS.1", expected_version=0, reactor_id=REACTOR, mode="auto", actor="otto"
    )
    monkeypatch.setattr(dispatch, "reactor_function_invoke", pytest.fail)
    finding = _sqs_finding()
    event = {"detail-type": "Security Hub Findings - Imported", "detail": {"findings": [finding]}}
    [item] = event_parse(event=event)["items"]
    with pytest.raises(ValidationError, match="params must be an object"):
        finding_dispatch(item={**item, "params": "kms_key_id=alias/x"})
    assert executions_of_finding(finding_id=finding["Id"]) == []
