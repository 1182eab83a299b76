"""Remediation from "Findings Imported V2" events: the Imported rule's OCSF alternative, Parse
handing reactors the ASFF-shaped conversion, and Dispatch writing back through V2; the same
idempotency and loop guard as ASFF."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from emulator.event_pattern import event_pattern_matches, event_pattern_validate
from ouroboros.config import reset_config
from ouroboros.errors import NotFoundError
from ouroboros.executions.selectors import executions_of_finding
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.securityhub.ocsf import finding_parse, ocsf_to_asff
from ouroboros.workflow import dispatch, manual
from ouroboros.workflow.dispatch import finding_dispatch
from ouroboros.workflow.parse import _imported_rule_matches, event_parse
from tests.conftest import load_event

REACTOR = "sqs-queue-encryption"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:ouroboros-dev-reactor-{REACTOR}"
RULES = json.loads((Path(__file__).parents[3] / "statemachine" / "rules.json").read_text())
IMPORTED_RULE = RULES["findings_imported"]["EventPattern"]
SQS = "ocsf/02_shcspm_control_SQS.1_compliance_fail_new.json"
IAM_PASSED = "ocsf/03_shcspm_control_IAM.1_compliance_pass_cis_fsbp.json"
GUARDDUTY_EVENT = "ocsf/09_guardduty_detection_finding_in_FindingsImportedV2_event.json"
PROWLER = "ocsf/12_prowler_native_ocsf_detection_finding_NOT_securityhub.json"
COVERAGE = "ocsf/11_securityhub_coverage_compliance_finding_NO_control_asr_fixture.json"


def imported_v2(*findings: dict[str, Any]) -> dict[str, Any]:
    """Sample 09's real "Findings Imported V2" envelope around ``findings``."""
    event = load_event(GUARDDUTY_EVENT)
    event["resources"] = [f.get("metadata", {}).get("uid", "") for f in findings]
    event["detail"] = {"findings": list(findings)}
    return event


def sqs(**changes: Any) -> dict[str, Any]:
    finding = load_event(SQS)
    finding.update(changes)
    return finding


def _matches(event: dict[str, Any]) -> bool:
    """The deployed rule's verdict, checked equal to Parse's own mirror of it."""
    verdict = event_pattern_matches(IMPORTED_RULE, event)
    assert _imported_rule_matches([finding_parse(f) for f in event["detail"]["findings"]]) is (
        verdict
    )
    return verdict


def test_the_imported_rule_takes_v2_control_findings_failed_active_new_only() -> None:
    assert event_pattern_validate(IMPORTED_RULE) == IMPORTED_RULE
    assert _matches(imported_v2(sqs()))
    gov = sqs()
    gov["metadata"]["product"]["uid"] = (
        "arn:aws-us-gov:securityhub:us-gov-west-1::productv2/aws/securityhub"
    )
    assert _matches(imported_v2(gov))
    # The loop guard: what the write-back sets (In Progress, Resolved) never matches.
    assert not _matches(imported_v2(sqs(status="In Progress", status_id=2)))
    assert not _matches(imported_v2(sqs(status="Resolved", status_id=4)))
    assert not _matches(imported_v2(sqs(activity_id=3, activity_name="Close")))
    assert not _matches(imported_v2(load_event(IAM_PASSED)))  # compliance Pass
    assert not _matches(load_event(GUARDDUTY_EVENT))  # a detection, another product
    assert not _matches(imported_v2(load_event(PROWLER)))  # not Security Hub's
    coverage = load_event(COVERAGE)
    coverage["compliance"]["status_id"] = 3
    assert not _matches(imported_v2(coverage))  # another Security Hub product, no control
    # The ASFF alternative still takes a real ASFF event.
    assert _matches(load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json"))


@pytest.fixture
def auto_sqs(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """SQS.1 in auto mode with its reactor installed; invocations and write-backs, recorded."""
    ControlModel("SQS.1", title="SQS.1", reactor_id=REACTOR, mode="auto").save()
    LocalReactorModel(
        REACTOR, version="1.0.0", sha256="0" * 64, status="installed", function_arn=FUNCTION_ARN
    ).save()
    seen: dict[str, list[Any]] = {"invoked": [], "written": []}

    def invoke(*, function_arn: str, payload: dict[str, Any]) -> dict[str, Any]:
        seen["invoked"].append(payload["finding"])
        return {"changes": [{"action": "encrypt"}], "rollback_data": {}}

    def written(*, finding: Any, status: str, note: str | None = None) -> bool:
        seen["written"].append((finding.source_format, finding.ocsf, status))
        return True

    monkeypatch.setattr(dispatch, "reactor_function_invoke", invoke)
    monkeypatch.setattr(dispatch, "finding_workflow_update", written)
    return seen


def parse_and_dispatch(event: dict[str, Any]) -> list[dict[str, Any]]:
    outcomes = []
    for item in event_parse(event=event)["items"]:
        wire = json.loads(json.dumps(item))  # what Step Functions carries
        outcomes.append(dict(finding_dispatch(item=wire)["result"]))
    return outcomes


@pytest.mark.functional
def test_a_v2_event_runs_the_reactor_on_the_asff_shape_and_writes_back_through_v2(
    auto_sqs: dict[str, list[Any]],
) -> None:
    finding = sqs()
    [outcome] = parse_and_dispatch(imported_v2(finding))

    assert outcome["status"] == "succeeded"
    assert auto_sqs["invoked"] == [ocsf_to_asff(finding)]  # what reactors have always read
    identity = finding_parse(finding).ocsf
    assert identity is not None and identity.metadata_uid == finding["metadata"]["uid"]
    assert auto_sqs["written"] == [
        ("ocsf", identity, "NOTIFIED"),
        ("ocsf", identity, "RESOLVED"),
    ]
    [execution] = executions_of_finding(finding_id=finding["finding_info"]["uid"])
    assert (execution.status, execution.trigger, execution.control_id) == (
        "succeeded",
        "event",
        "SQS.1",
    )

    # Idempotency: the same event again (EventBridge delivers at least once) runs nothing.
    assert [o["status"] for o in parse_and_dispatch(imported_v2(copy.deepcopy(finding)))] == [
        "duplicate"
    ]
    assert len(auto_sqs["invoked"]) == 1


@pytest.mark.functional
def test_a_v2_finding_the_write_back_moved_on_is_skipped_not_run(
    auto_sqs: dict[str, list[Any]],
) -> None:
    finding = sqs(status="In Progress", status_id=2)
    assert parse_and_dispatch(imported_v2(finding)) == []
    [skipped] = executions_of_finding(finding_id=finding["finding_info"]["uid"])
    assert skipped.status == "skipped"
    assert auto_sqs["invoked"] == []


@pytest.mark.functional
def test_an_account_out_of_scope_skips_a_v2_finding_too(
    auto_sqs: dict[str, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUROBOROS_ACCOUNT_SCOPE", "333333333333")
    reset_config()
    finding = sqs()
    assert parse_and_dispatch(imported_v2(finding)) == []
    [skipped] = executions_of_finding(finding_id=finding["finding_info"]["uid"])
    assert str(skipped.skip_reason).startswith("account 123456789012 is outside the account")
    assert auto_sqs["invoked"] == []


@pytest.mark.parametrize("mode", ["off", "on", "only"])
def test_remediate_now_reads_a_v2_finding_when_v2_is_enabled(
    monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("OUROBOROS_SECURITYHUB_V2", mode)
    reset_config()
    finding = sqs()
    uid = finding["finding_info"]["uid"]
    securityhub = boto3.client("securityhub", region_name="us-east-1")
    monkeypatch.setattr(manual, "client", lambda service, **kwargs: securityhub)
    by_id = {"Id": [{"Value": uid, "Comparison": "EQUALS"}]}
    by_uid = {"FieldName": "finding_info.uid", "Filter": {"Value": uid, "Comparison": "EQUALS"}}
    with Stubber(securityhub) as stubber:
        if mode != "only":  # Security Hub CSPM first, unless it is off
            stubber.add_response(
                "get_findings", {"Findings": []}, {"Filters": by_id, "MaxResults": 1}
            )
        if mode != "off":
            stubber.add_response(
                "get_findings_v2",
                {"Findings": [finding]},
                {"Filters": {"CompositeFilters": [{"StringFilters": [by_uid]}]}, "MaxResults": 1},
            )
        if mode == "off":
            with pytest.raises(NotFoundError):
                manual.finding_fetch(finding_id=uid)
        else:
            assert manual.finding_fetch(finding_id=uid) == ocsf_to_asff(finding)
        stubber.assert_no_pending_responses()
