"""Finding provenance (issue 17, item 1): a finding from another product posing as a Security Hub
control finding is refused by the provenance check, by Parse (event and custom action), by the
operator's start and by the "Findings - Imported" rule; it is recorded as skipped, with the
product ARN in the reason, and its reactor never runs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from emulator.event_pattern import event_pattern_matches, event_pattern_validate
from ouroboros.config import ConfigError, get_config, reset_config
from ouroboros.errors import ConflictError
from ouroboros.executions.selectors import executions_of_finding
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.workflow import dispatch, manual
from ouroboros.workflow.dispatch import finding_dispatch
from ouroboros.workflow.parse import event_parse
from ouroboros.workflow.provenance import finding_provenance_problem
from tests.conftest import load_event
from tests.findings_factory import sample_asff

REACTOR = "s3-public-read"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:ouroboros-dev-reactor-{REACTOR}"
OWN = "arn:aws:securityhub:us-east-1::product/aws/securityhub"
#: The red team's impostor: a custom product's finding that names S3.2.
IMPOSTOR_PRODUCT = "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"
TRUSTED = "arn:aws:securityhub:us-east-1::product/vendor/scanner"
RULES = json.loads((Path(__file__).parents[3] / "statemachine" / "rules.json").read_text())
IMPORTED_RULE = RULES["findings_imported"]["EventPattern"]


def s3_finding(**changes: Any) -> dict[str, Any]:
    """The real S3.2 sample as a FAILED, ACTIVE, NEW finding, with ``changes`` applied."""
    finding = sample_asff("asr_afsbp_s3.2.json")
    finding["Workflow"] = {"Status": "NEW"}
    finding["Compliance"] = {**finding.get("Compliance", {}), "Status": "FAILED"}
    finding["RecordState"] = "ACTIVE"
    finding.update(changes)
    return finding


def impostor() -> dict[str, Any]:
    """The issue's impostor: GeneratorId security-control/S3.2, a custom product's ARN."""
    return s3_finding(
        Id="arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default/s3-2-fake",
        ProductArn=IMPOSTOR_PRODUCT,
        GeneratorId="security-control/S3.2",
    )


def without(finding: dict[str, Any], key: str) -> dict[str, Any]:
    finding.pop(key)
    return finding


@pytest.mark.parametrize(
    ("finding", "scope", "problem"),
    [
        pytest.param(s3_finding(), (), None, id="own product, aws"),
        pytest.param(
            s3_finding(
                ProductArn="arn:aws-us-gov:securityhub:us-gov-west-1::product/aws/securityhub",
                Region="us-gov-west-1",
            ),
            (),
            None,
            id="own product, aws-us-gov",
        ),
        pytest.param(
            s3_finding(ProductArn="arn:aws-cn:securityhub:cn-north-1::product/aws/securityhub")
            | {"Region": "cn-north-1"},
            (),
            None,
            id="own product, aws-cn",
        ),
        pytest.param(
            without(s3_finding(), "Region"), (), None, id="own product, no Region to compare"
        ),
        pytest.param(impostor(), (), f"untrusted product {IMPOSTOR_PRODUCT}", id="custom product"),
        pytest.param(
            s3_finding(ProductArn="arn:aws:securityhub:us-east-1::product/aws/guardduty"),
            (),
            "untrusted product arn:aws:securityhub:us-east-1::product/aws/guardduty",
            id="another AWS product",
        ),
        pytest.param(
            s3_finding(ProductArn="arn:aws:securityhub:us-east-1::product/aws/securityhub-x"),
            (),
            "untrusted product arn:aws:securityhub:us-east-1::product/aws/securityhub-x",
            id="own product's name as a prefix",
        ),
        pytest.param(s3_finding(ProductArn=TRUSTED), (), None, id="allow-listed product"),
        pytest.param(
            s3_finding(Region="eu-west-1"),
            (),
            f"untrusted product {OWN}: its region is not the finding's Region eu-west-1",
            id="region mismatch",
        ),
        pytest.param(
            without(s3_finding(), "ProductArn"),
            (),
            "untrusted product: the finding has no ProductArn",
            id="missing ProductArn",
        ),
        pytest.param(s3_finding(ProductArn=" "), (), "untrusted product", id="blank ProductArn"),
        pytest.param(s3_finding(), ("111111111111",), None, id="account in scope"),
        pytest.param(
            s3_finding(),
            ("333333333333",),
            "account 111111111111 is outside the account scope",
            id="account out of scope",
        ),
    ],
)
def test_the_provenance_check(
    finding: dict[str, Any], scope: tuple[str, ...], problem: str | None
) -> None:
    assert finding["AwsAccountId"] == "111111111111"  # the sample's account
    found = finding_provenance_problem(finding, trusted_products=(TRUSTED,), account_scope=scope)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


def test_the_check_reads_its_lists_from_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_config().trusted_product_arns == () and get_config().account_scope == ()
    assert finding_provenance_problem(s3_finding(ProductArn=TRUSTED)) is not None
    monkeypatch.setenv("OUROBOROS_TRUSTED_PRODUCT_ARNS", f" {TRUSTED} ,, {IMPOSTOR_PRODUCT}")
    monkeypatch.setenv("OUROBOROS_ACCOUNT_SCOPE", "333333333333, 111111111111")
    reset_config()
    assert get_config().trusted_product_arns == (TRUSTED, IMPOSTOR_PRODUCT)
    assert get_config().account_scope == ("333333333333", "111111111111")
    assert finding_provenance_problem(s3_finding(ProductArn=TRUSTED)) is None
    monkeypatch.setenv("OUROBOROS_ACCOUNT_SCOPE", "333333333333")
    reset_config()
    assert "outside the account scope" in str(finding_provenance_problem(s3_finding()))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OUROBOROS_TRUSTED_PRODUCT_ARNS", "arn:aws:s3:::bucket"),
        ("OUROBOROS_TRUSTED_PRODUCT_ARNS", "*"),
        ("OUROBOROS_ACCOUNT_SCOPE", "12345"),
        ("OUROBOROS_ACCOUNT_SCOPE", "123456789012,all"),
    ],
)
def test_malformed_lists_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    reset_config()
    with pytest.raises(ConfigError, match=name):
        get_config()


# --- the "Findings - Imported" rule -----------------------------------------------------------


def imported(finding: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json"))
    event["detail"]["findings"] = [finding]
    return dict(event)


def test_the_imported_rule_matches_security_hub_findings_only() -> None:
    assert event_pattern_validate(IMPORTED_RULE) == IMPORTED_RULE
    real = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")
    assert event_pattern_matches(IMPORTED_RULE, real)
    assert event_pattern_matches(IMPORTED_RULE, imported(s3_finding()))
    gov = s3_finding(ProductArn="arn:aws-us-gov:securityhub:us-gov-east-1::product/aws/securityhub")
    assert event_pattern_matches(IMPORTED_RULE, imported(gov))

    assert not event_pattern_matches(IMPORTED_RULE, imported(impostor()))
    guardduty = s3_finding(ProductArn="arn:aws:securityhub:us-east-1::product/aws/guardduty")
    assert not event_pattern_matches(IMPORTED_RULE, imported(guardduty))


# --- Parse and Dispatch -----------------------------------------------------------------------


@pytest.fixture
def auto_s3(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """S3.2 in auto mode with its reactor installed; the reactor invocations, recorded."""
    ControlModel("S3.2", title="S3.2", reactor_id=REACTOR, mode="auto").save()
    LocalReactorModel(
        REACTOR, version="1.0.0", sha256="0" * 64, status="installed", function_arn=FUNCTION_ARN
    ).save()
    invoked: list[str] = []

    def invoke(*, function_arn: str, payload: dict[str, Any]) -> dict[str, Any]:
        invoked.append(str(payload["finding"]["Id"]))
        return {"changes": [{"action": "policy"}], "rollback_data": {}}

    monkeypatch.setattr(dispatch, "reactor_function_invoke", invoke)
    monkeypatch.setattr(dispatch, "finding_workflow_update", lambda **kwargs: None)
    return invoked


def parse_and_dispatch(event: dict[str, Any]) -> None:
    for item in event_parse(event=event)["items"]:
        finding_dispatch(item=item)


@pytest.mark.functional
@pytest.mark.parametrize(
    "envelope",
    [
        {"detail-type": "Security Hub Findings - Imported"},
        {"detail-type": "Security Hub Findings - Custom Action", "id": "e1"},
        {"ouroboros": {"trigger": "manual", "actor": "otto", "request_id": "r1"}},
    ],
    ids=["event", "custom action", "manual input"],
)
def test_parse_skips_the_impostor_and_its_reactor_never_runs(
    auto_s3: list[str], envelope: dict[str, Any]
) -> None:
    fake, real = impostor(), s3_finding()
    parse_and_dispatch({**envelope, "detail": {"findings": [fake, real]}})

    assert auto_s3 == [real["Id"]]  # the genuine finding in the same event still runs
    [skipped] = executions_of_finding(finding_id=fake["Id"])
    assert skipped.status == "skipped" and skipped.control_id == "S3.2"
    assert skipped.skip_reason is not None
    assert skipped.skip_reason.startswith(f"untrusted product {IMPOSTOR_PRODUCT}:")


@pytest.mark.functional
def test_an_out_of_scope_account_is_skipped(
    auto_s3: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUROBOROS_ACCOUNT_SCOPE", "333333333333")
    reset_config()
    finding = s3_finding()
    parse_and_dispatch(
        {"detail-type": "Security Hub Findings - Imported", "detail": {"findings": [finding]}}
    )
    assert auto_s3 == []
    [skipped] = executions_of_finding(finding_id=finding["Id"])
    assert skipped.status == "skipped"
    assert str(skipped.skip_reason).startswith("account 111111111111 is outside the account scope")


# --- the operator's start ---------------------------------------------------------------------


class _StepFunctions:
    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []

    def start_execution(self, **kwargs: Any) -> dict[str, str]:
        self.started.append(kwargs)
        return {"executionArn": "arn:aws:states:us-east-1:123456789012:execution:sm:manual-x"}


@pytest.fixture
def held(
    auto_s3: list[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, Any], _StepFunctions]:
    """Security Hub holds the impostor; Step Functions records what it is asked to start."""
    fake = impostor()
    sfn = _StepFunctions()
    monkeypatch.setattr(manual, "finding_fetch", lambda *, finding_id: copy.deepcopy(fake))
    monkeypatch.setattr(manual, "state_machine_arn", lambda: "arn:aws:states:::sm")
    monkeypatch.setattr(manual, "client", lambda service: sfn)
    return fake, sfn


@pytest.mark.functional
def test_an_operator_cannot_start_a_remediation_of_the_impostor(
    held: tuple[dict[str, Any], _StepFunctions],
) -> None:
    fake, sfn = held
    with pytest.raises(ConflictError, match=f"untrusted product {IMPOSTOR_PRODUCT}"):
        manual.remediation_start(finding_id=fake["Id"], actor="otto")
    assert sfn.started == []
    [refused] = executions_of_finding(finding_id=fake["Id"])
    assert (refused.status, refused.trigger, refused.actor) == ("skipped", "manual", "otto")
    assert str(refused.skip_reason).startswith(f"untrusted product {IMPOSTOR_PRODUCT}:")


@pytest.mark.functional
def test_an_operator_starts_a_genuine_finding(
    held: tuple[dict[str, Any], _StepFunctions], monkeypatch: pytest.MonkeyPatch
) -> None:
    genuine = s3_finding()
    monkeypatch.setattr(manual, "finding_fetch", lambda *, finding_id: genuine)
    manual.remediation_start(finding_id=genuine["Id"], actor="otto")
    [started] = held[1].started
    assert json.loads(started["input"])["detail"]["findings"] == [genuine]
    assert executions_of_finding(finding_id=genuine["Id"]) == []


IMPORTED = {"source": "aws.securityhub", "detail-type": "Security Hub Findings - Imported"}


@pytest.mark.functional
def test_a_lone_imported_impostor_is_recorded_as_skipped_once(auto_s3: list[str]) -> None:
    """The rule never starts the workflow for it, so the function that stores it records the
    skip with the product in the reason; a redelivery of the same event records nothing more."""
    from lambdas.finding_imported import handler

    fake = impostor()
    event = {**IMPORTED, "id": "e-lone", "detail": {"findings": [fake]}}
    assert not event_pattern_matches(IMPORTED_RULE, event)
    assert handler(event, None)["impostors_skipped"] == 1
    assert handler(event, None)["impostors_skipped"] == 0

    [skipped] = executions_of_finding(finding_id=fake["Id"])
    assert (skipped.status, skipped.trigger, skipped.reactor_id) == ("skipped", "event", REACTOR)
    assert str(skipped.skip_reason).startswith(f"untrusted product {IMPOSTOR_PRODUCT}:")
    assert auto_s3 == []


@pytest.mark.functional
def test_the_imported_function_leaves_matched_events_and_genuine_findings_to_parse(
    auto_s3: list[str],
) -> None:
    """When the rule matches (a genuine finding beside the impostor), Parse records the
    impostor; the storing function must not record it a second time. A genuine finding alone
    is never recorded by it either."""
    from lambdas.finding_imported import handler

    fake, real = impostor(), s3_finding()
    both = {**IMPORTED, "id": "e-both", "detail": {"findings": [fake, real]}}
    assert event_pattern_matches(IMPORTED_RULE, both)
    assert handler(both, None)["impostors_skipped"] == 0
    assert executions_of_finding(finding_id=fake["Id"]) == []

    resolved = impostor()
    resolved["Compliance"] = {"Status": "PASSED"}
    passed = {**IMPORTED, "id": "e-passed", "detail": {"findings": [resolved]}}
    assert handler(passed, None)["impostors_skipped"] == 0
