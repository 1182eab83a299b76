"""Reactor ``cloudtrail-log-validation`` (AFSBP CloudTrail.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


@reactor
class CloudTrailLogValidationReactor(Reactor):
    """Turn on log file validation of a CloudTrail trail.

    CloudTrail then delivers a signed digest file every hour, with which anyone can prove
    that log files were not modified or deleted after delivery. Nothing else of the trail
    changes. The change is made in the trail's home region. Rollback turns validation off.
    """

    id = "cloudtrail-log-validation"
    version = "1.0.0"
    control_ids = ("CloudTrail.4",)
    permissions = (
        Permission(
            ("cloudtrail:GetTrail", "cloudtrail:UpdateTrail"),
            ("arn:aws:cloudtrail:*:*:trail/*",),
        ),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        arn = finding.resource("AwsCloudTrailTrail").id
        region = _region(arn, finding.region)
        cloudtrail = client("cloudtrail", session=session, region=region)
        trail = cloudtrail.get_trail(Name=arn)["Trail"]
        if trail.get("LogFileValidationEnabled"):
            return self.result(finding, dry_run=dry_run, changes=[], message="already validating")
        change = Change(
            "cloudtrail:UpdateTrail", trail["TrailARN"], "turn on log file validation", False, True
        )
        if not dry_run:
            cloudtrail.update_trail(Name=trail["TrailARN"], EnableLogFileValidation=True)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"trail_arn": trail["TrailARN"], "region": region},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        arn = rollback_data.get("trail_arn")
        if not arn:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs trail_arn")
        region = rollback_data.get("region") or _region(arn, finding.region)
        cloudtrail = client("cloudtrail", session=session, region=region)
        cloudtrail.update_trail(Name=arn, EnableLogFileValidation=False)
        change = Change("cloudtrail:UpdateTrail", arn, "turn log file validation off", True, False)
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(CloudTrailLogValidationReactor)
