"""The custom action event as Security Hub sends it, matched by the workflow's rule (no AWS)."""

from __future__ import annotations

import json
from typing import Any

from deploy.workflow import rules_render
from emulator.event_pattern import event_pattern_matches
from emulator.securityhub_custom_action import custom_action_event, local_custom_action
from tests.conftest import load_event


def envelope(entry: dict[str, Any]) -> dict[str, Any]:
    """What EventBridge delivers for a PutEvents entry."""
    return {
        "version": "0",
        "id": "e-1",
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": "123456789012",
        "time": "2026-11-27T00:00:00Z",
        "region": "us-east-1",
        "resources": entry["Resources"],
        "detail": json.loads(entry["Detail"]),
    }


def test_the_event_has_security_hubs_shape_and_starts_the_workflow_rule_only() -> None:
    finding = load_event("asff_findings/asr_afsbp_s3.2.json")
    finding = finding["detail"]["findings"][0] if "detail" in finding else finding
    action = local_custom_action()
    assert (
        action.arn == "arn:aws:securityhub:us-east-1:123456789012:action/custom/OuroborosRemediate"
    )
    event = envelope(custom_action_event(findings=[finding], action=action))
    assert event["source"] == "aws.securityhub"
    assert event["detail-type"] == "Security Hub Findings - Custom Action"
    assert event["detail"]["actionName"] == "Fix with Ouroboros"
    assert event["detail"]["findings"] == [finding]
    rules = rules_render(action.arn)
    assert event_pattern_matches(rules["custom_action"]["EventPattern"], event)
    assert not event_pattern_matches(rules["findings_imported"]["EventPattern"], event)
    other = envelope(
        custom_action_event(
            findings=[finding], action=action.__class__("arn:other", "Other", "another action")
        )
    )
    assert not event_pattern_matches(rules["custom_action"]["EventPattern"], other)
