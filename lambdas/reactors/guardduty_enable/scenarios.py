"""Scenarios of ``guardduty-enable`` for the harness (`reactor_sdk.testing`): GuardDuty.1."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def _no_detector(session: boto3.Session, account_id: str) -> Target:
    return Target(f"AWS::::Account:{account_id}", "AwsAccount")


def _suspended_detector(session: boto3.Session, account_id: str) -> Target:
    guardduty = session.client("guardduty")
    detector = guardduty.create_detector(Enable=True, FindingPublishingFrequency="ONE_HOUR")
    guardduty.update_detector(DetectorId=detector["DetectorId"], Enable=False)
    return Target(f"AWS::::Account:{account_id}", "AwsAccount")


def _detectors(session: boto3.Session, target: Target) -> Any:
    guardduty = session.client("guardduty")
    found = {}
    for detector_id in guardduty.list_detectors()["DetectorIds"]:
        detector = guardduty.get_detector(DetectorId=detector_id)
        found[detector_id] = [detector["Status"], detector["FindingPublishingFrequency"]]
    return found


def _enabled(state: Any) -> bool:
    return any(status == "ENABLED" for status, _ in state.values())


SCENARIOS = [
    Scenario(
        "GuardDuty.1",
        "asff_findings/asr_afsbp_cloudtrail.1.json",
        _no_detector,
        _detectors,
        _enabled,
        params={"finding_publishing_frequency": "FIFTEEN_MINUTES"},
        name="no-detector",
    ),
    Scenario(
        "GuardDuty.1",
        "asff_findings/asr_afsbp_cloudtrail.1.json",
        _suspended_detector,
        _detectors,
        _enabled,
        name="suspended-detector",
    ),
]
