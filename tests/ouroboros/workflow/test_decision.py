"""Unit tests of the per-finding decision (no AWS), on the real S3.2 sample."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ouroboros.errors import ValidationError
from ouroboros.securityhub.asff import NormalizedFinding, asff_parse
from ouroboros.workflow.decision import finding_decide
from tests.conftest import load_event

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def sample(**changes: Any) -> dict[str, Any]:
    finding: dict[str, Any] = load_event("asff_findings/asr_afsbp_s3.2.json")
    finding = finding["detail"]["findings"][0] if "detail" in finding else finding
    finding = {**finding, "Workflow": {"Status": "NEW"}, "RecordState": "ACTIVE"}
    finding["Compliance"] = {**finding.get("Compliance", {}), "Status": "FAILED"}
    finding.update(changes)
    return finding


def decide(finding: NormalizedFinding | None = None, **kwargs: Any) -> tuple[str, str]:
    args: dict[str, Any] = {
        "finding": finding or asff_parse(sample()),
        "trigger": "event",
        "mode": "auto",
        "reactor_id": "s3-public-read",
        "reactor_installed": True,
        "exemptions": [],
        "dry_run_requested": False,
        "now": NOW,
    }
    args.update(kwargs)
    decision = finding_decide(**args)
    return decision.action, decision.reason


def test_the_sample_is_a_control_finding_of_its_own_account() -> None:
    finding = asff_parse(sample())
    assert finding.control_id == "S3.2"
    assert finding.account_id == sample()["AwsAccountId"]


def test_standard_specific_findings_resolve_to_their_security_control() -> None:
    # PCI DSS names S3.1's check PCI.S3.6: the shared parser's table maps it, no guess.
    pci = sample(
        GeneratorId="pci-dss/v/3.2.1/PCI.S3.6",
        ProductFields={"StandardsArn": "arn:aws:securityhub:::standards/pci-dss/v/3.2.1"},
        Compliance={"Status": "FAILED"},
    )
    assert decide(asff_parse(pci), reactor_id=None) == ("skip", "no reactor assigned to S3.1")
    consolidated = sample(GeneratorId="security-control/Lambda.1", ProductFields={})
    assert asff_parse(consolidated).control_id == "Lambda.1"


def test_a_finding_without_workflow_is_new() -> None:
    raw = sample()
    del raw["Workflow"]
    assert decide(asff_parse(raw)) == ("run", "")


def test_a_finding_without_account_is_refused_with_its_id() -> None:
    with pytest.raises(ValidationError, match=r"AwsAccountId.*finding f-1"):
        asff_parse({**sample(), "Id": "f-1", "AwsAccountId": "nope"})


def test_auto_mode_runs_and_dry_run_mode_or_request_runs_dry() -> None:
    assert decide() == ("run", "")
    assert decide(mode="dry_run")[0] == "dry_run"
    assert decide(trigger="manual", dry_run_requested=True)[0] == "dry_run"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"mode": "off"}, "mode off"),
        ({"mode": None}, "mode off"),
        ({"mode": "manual"}, "manual mode: waits for an operator"),
        ({"reactor_id": None}, "no reactor assigned to S3.2"),
        ({"reactor_installed": False}, "reactor s3-public-read is not installed"),
    ],
)
def test_skips_carry_their_reason(kwargs: dict[str, Any], reason: str) -> None:
    assert decide(**kwargs) == ("skip", reason)


def test_manual_mode_runs_when_an_operator_asks() -> None:
    assert decide(mode="manual", trigger="manual")[0] == "run"
    assert decide(mode="manual", trigger="custom_action")[0] == "run"


def test_loop_guard_skips_our_own_notified_and_resolved_updates_on_events_only() -> None:
    for status in ("NOTIFIED", "RESOLVED"):
        finding = asff_parse(sample(Workflow={"Status": status}))
        assert decide(finding) == ("skip", f"workflow status {status}, not NEW")
        assert decide(finding, trigger="manual")[0] == "run"


def test_non_control_findings_are_skipped() -> None:
    guardduty = sample(GeneratorId="arn:aws:guardduty:x", ProductFields={}, Compliance={})
    assert decide(asff_parse(guardduty)) == ("skip", "not a control finding")


def exemption(**fields: Any) -> dict[str, Any]:
    return {"reason": "approved", **fields}


def test_exemptions_match_on_every_given_field_and_expire() -> None:
    finding = asff_parse(sample())
    bucket = finding.resource_ids[0]
    exempt = ("skip", "exempt: approved")
    assert decide(exemptions=[exemption(resource_pattern=bucket[:-3] + "*")]) == exempt
    assert decide(exemptions=[exemption(account=finding.account_id)]) == exempt
    assert decide(exemptions=[exemption(account="999999999999")])[0] == "run"
    both = exemption(account=finding.account_id, resource_pattern="arn:aws:s3:::other-*")
    assert decide(exemptions=[both])[0] == "run"
    expired = exemption(account=finding.account_id, expires_at=NOW - timedelta(seconds=1))
    assert decide(exemptions=[expired])[0] == "run"
    assert decide(exemptions=[exemption()])[0] == "run"  # an empty rule exempts nothing


def test_tag_exemption() -> None:
    raw = sample()
    raw["Resources"] = [{**raw["Resources"][0], "Tags": {"env": "prod"}}]
    finding = asff_parse(raw)
    assert decide(finding, exemptions=[exemption(tag="env=prod")])[0] == "skip"
    assert decide(finding, exemptions=[exemption(tag="env=dev")])[0] == "run"
