"""The reactor SDK without AWS: findings, parameters, the registry, the invocation contract."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorInputError,
    ReactorParamsError,
    ReactorRollbackError,
    RemediationResult,
    reactor_invoke,
)
from reactor_sdk.errors import DuplicateReactorError
from reactor_sdk.finding import finding_control_id
from reactor_sdk.handler import reactor_handler
from reactor_sdk.params import params_validate
from reactor_sdk.registry import Registry
from tests.conftest import load_event

# -- findings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "control"),
    [
        ("asff_findings/asr_afsbp_s3.2.json", "S3.2"),  # ProductFields.ControlId
        ("asff_findings/asr_afsbp_cloudfront.1.json", "CloudFront.1"),  # SecurityControlId
        ("asff_findings/docs_fsbp_cloudtrail.2_standard_control.json", "CloudTrail.2"),
        ("asff_findings/docs_guardduty_unauthorizedaccess_ec2_sshbruteforce.json", None),
    ],
)
def test_control_id_in_every_format(sample: str, control: str | None) -> None:
    assert finding_control_id(load_event(sample)) == control


def test_control_id_from_generator_id_alone() -> None:
    assert finding_control_id({"GeneratorId": "security-control/S3.5"}) == "S3.5"
    generator = "aws-foundational-security-best-practices/v/1.0.0/EC2.19"
    assert finding_control_id({"GeneratorId": generator}) == "EC2.19"


def test_finding_uses_its_own_account_and_resources() -> None:
    finding = Finding.from_asff(load_event("asff_findings/asr_afsbp_ec2.2.json"))
    assert (finding.account_id, finding.region, finding.control_id) == (
        "111111111111",
        "us-east-1",
        "EC2.2",
    )
    group = finding.resource("AwsEc2SecurityGroup")
    assert group.name == "sg-1234123f"
    with pytest.raises(ReactorInputError, match="no resource of type AwsS3Bucket"):
        finding.resource("AwsS3Bucket")


def test_guardduty_sample_without_region_takes_the_resource_region() -> None:
    finding = Finding.from_asff(
        load_event("asff_findings/docs_guardduty_unauthorizedaccess_ec2_sshbruteforce.json")
    )
    assert finding.region == "us-east-1"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "missing Id"),
        ({"Id": "x", "AwsAccountId": "12"}, "AwsAccountId '12' is invalid"),
        ({"Id": "x", "AwsAccountId": "111111111111"}, "no Region"),
    ],
)
def test_malformed_findings_are_refused(data: dict, message: str) -> None:
    with pytest.raises(ReactorInputError, match=message):
        Finding.from_asff(data)


# -- parameters ----------------------------------------------------------------------------

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["mode"],
    "properties": {
        "mode": {"type": "string", "enum": ["soft", "hard"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 30, "default": 7},
        "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}},
    },
}


def test_defaults_are_applied() -> None:
    assert params_validate(SCHEMA, {"mode": "soft"}) == {"mode": "soft", "days": 7}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "missing required 'mode'"),
        ({"mode": "medium"}, "'medium' is not one of"),
        ({"mode": "soft", "days": 0}, "0 is less than 1"),
        ({"mode": "soft", "days": True}, "expected integer, got bool"),
        ({"mode": "soft", "tags": ["ok", "NO"]}, r"params/tags/1: does not match"),
        ({"mode": "soft", "colour": "red"}, "unknown parameter 'colour'"),
    ],
)
def test_invalid_parameters_are_refused_with_the_reason(params: dict, message: str) -> None:
    with pytest.raises(ReactorParamsError, match=message):
        params_validate(SCHEMA, params)


# -- registry ------------------------------------------------------------------------------


def test_registry_refuses_two_classes_for_one_id() -> None:
    registry: Registry[type] = Registry("things")
    first = type("First", (), {})
    registry.register("x", first)
    registry.register("x", first)  # the same class again: fine
    with pytest.raises(DuplicateReactorError, match="already registered"):
        registry.register("x", type("Second", (), {}))
    assert registry["x"] is first and list(registry) == ["x"] and len(registry) == 1


def test_registry_accepts_an_artifact_twin_and_keeps_the_source() -> None:
    registry: Registry[type] = Registry("things")
    source = type("Fixer", (), {"__module__": "lambdas.reactors.fixer.reactor"})
    twin = type("Fixer", (), {"__module__": "_ouroboros_artifact_ab12.fixer.reactor"})
    registry.register("fixer", source)
    assert registry.register("fixer", twin) is twin
    assert registry["fixer"] is source


# -- invocation contract ---------------------------------------------------------------------


class _Recorder(Reactor):
    """Records what it was given.

    A stand-in reactor for the invocation contract tests; it changes nothing anywhere.
    """

    id = "recorder"
    version = "1.0.0"
    control_ids = ("S3.2",)
    permissions = (Permission(("s3:GetBucketPolicy",)),)
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"level": {"type": "integer", "default": 1}},
    }
    seen: dict[str, Any] = {}

    def remediate(
        self, finding: Finding, session: Any, params: Mapping[str, Any], dry_run: bool
    ) -> RemediationResult:
        _Recorder.seen = {"params": dict(params), "dry_run": dry_run, "session": session}
        change = Change("s3:PutBucketPolicy", "arn:aws:s3:::b", "would do it")
        return self.result(finding, dry_run=dry_run, changes=[change], rollback_data={"a": 1})

    def rollback(
        self, finding: Finding, session: Any, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        _Recorder.seen = {"rollback_data": dict(rollback_data)}
        return self.result(finding, dry_run=False, changes=[], operation="rollback")


def test_the_session_is_in_the_findings_account_not_the_events() -> None:
    event = load_event("eventbridge_events/asr_custom_action_afsbp_ec2.2.json")
    finding = dict(event["detail"]["findings"][0], AwsAccountId="222222222222")
    assert event["account"] != "222222222222"
    accounts: list[str] = []

    def session_factory(f: Finding) -> str:
        accounts.append(f.account_id)
        return "session"

    result = reactor_invoke(
        _Recorder, {"finding": finding, "dry_run": True}, session_factory=session_factory
    )
    assert accounts == ["222222222222"]
    assert _Recorder.seen == {"params": {"level": 1}, "dry_run": True, "session": "session"}
    data = result.to_dict()
    assert data["status"] == "would_change" and data["reactor_id"] == "recorder"
    assert data["changes"][0]["action"] == "s3:PutBucketPolicy"


def test_rollback_and_bad_events() -> None:
    finding = load_event("asff_findings/asr_afsbp_s3.2.json")
    factory = lambda f: "s"  # noqa: E731
    result = reactor_invoke(
        _Recorder,
        {"operation": "rollback", "finding": finding, "rollback_data": {"a": 1}},
        session_factory=factory,
    )
    assert result.operation == "rollback" and _Recorder.seen == {"rollback_data": {"a": 1}}
    with pytest.raises(ReactorRollbackError, match="needs the rollback_data"):
        reactor_invoke(
            _Recorder, {"operation": "rollback", "finding": finding}, session_factory=factory
        )
    with pytest.raises(ReactorInputError, match="unknown operation"):
        reactor_invoke(
            _Recorder, {"operation": "explode", "finding": finding}, session_factory=factory
        )
    with pytest.raises(ReactorParamsError, match="unknown parameter"):
        reactor_invoke(_Recorder, {"finding": finding, "params": {"x": 1}}, session_factory=factory)


def test_describe_is_the_manifest_of_the_class() -> None:
    manifest = _Recorder.describe()
    assert manifest["title"] == "Records what it was given."
    assert manifest["description"].startswith("Records what it was given.\n\nA stand-in")
    assert manifest["permissions"] == [{"actions": ["s3:GetBucketPolicy"], "resources": ["*"]}]
    assert manifest["entry_point"] == f"{__name__}.handler"


def test_an_invocation_is_logged_with_the_workflows_correlation_keys(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 26: the line a reactor writes carries the keys Dispatch sends (known keys only)."""
    finding = load_event("asff_findings/asr_afsbp_s3.2.json")
    correlation = {"correlation_id": "c-9", "execution_id": "e-9", "password": "hunter2"}
    caplog.set_level(logging.INFO, logger="reactor_sdk.handler")
    event = {"finding": finding, "dry_run": True, "correlation": correlation}
    reactor_invoke(_Recorder, event, session_factory=lambda f: "s")
    with pytest.raises(ReactorInputError):
        reactor_handler(_Recorder)({**event, "operation": "explode"}, None)
    done, failed = [r for r in caplog.records if r.name == "reactor_sdk.handler"]
    for record in (done, failed):
        keys = {k: v for k, v in vars(record).items() if k.endswith("_id")}
        assert (keys["correlation_id"], keys["execution_id"]) == ("c-9", "e-9")
        assert "c-9" in record.getMessage() and not hasattr(record, "password")
    assert failed.levelname == "WARNING" and "ReactorInputError" in failed.getMessage()
